"""Run a study file end to end: parameters, exploration, networks, simulations.

``run_study_file("ei_balanced.toml")`` (what ``neuroloom run`` does for a
file with a ``[network]`` section):

1. reads and checks the file (:mod:`neuroloom.studyfile.spec`);
2. fails early if the simulator is not installed, a model is unsupported or an
   input names a population the circuit lacks, before any run starts; warns
   about an input population that connects to nothing and about ``--set`` on
   an explored parameter (which changes no run);
3. creates or opens the study (``[study] path`` relative to the current
   directory, or ``out``), loads ``[params]`` (locked once runs started),
   adds the ``[[explore]]`` points (points already present are not added twice);
4. builds the network into ``<study>/network`` (once; once per network point
   when ``[network]`` references run parameters), or checks the checksum of
   the given circuit against the one its first runs used;
5. runs every pending run with :class:`~neuroloom.studyfile.job.NetworkJob` on
   the chosen backend; failed runs are reported, the others are kept.

The study records the study file's content and relative paths only, so a
study folder can be moved (``neuroloom report`` needs nothing outside it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from neuroloom.errors import ItemNotFoundError, SimulationError, StudyFileError, with_context
from neuroloom.studyfile.job import (
    NetworkJob,
    check_models,
    check_simulator,
    load_network,
    make_inputs,
    run_circuit,
)
from neuroloom.studyfile.network import build_network, circuit_checksum, network_folder, network_hash
from neuroloom.studyfile.schema import is_reference
from neuroloom.studyfile.spec import StudySpec, parse_spec, references, spec_for_run

__all__ = ["PIPELINE_KEY", "explored_overrides", "prepare_study", "run_spec", "run_study_file"]

PIPELINE_KEY = "pipeline"


def explored_overrides(spec: StudySpec, overrides: Iterable[str]) -> list[str]:
    """Names given by ``--set`` that an ``[[explore]]`` entry explores (their runs ignore ``--set``)."""
    explored: set[str] = set()
    for entry in spec.explore:
        ((kind, value),) = entry.items()
        items = value[0] if kind == "points" else value
        explored |= {k for k in items if kind != "random" or k not in ("n", "seed")}
    return sorted({text.partition("=")[0].strip() for text in overrides} & explored)


def _set_params(study: Any, spec: StudySpec, overrides: list[str]) -> None:
    from neuroloom.params.tree import ParamTree, flatten_with_units

    wanted = ParamTree()
    if spec.raw.get("params"):
        for name, entry in flatten_with_units(spec.raw["params"]).items():
            wanted.add(name, entry[0], unit=entry[1], comment=entry[2])
        if overrides:
            wanted.override(overrides)
    elif overrides:
        wanted.update(study.params.values())
        wanted.override(overrides)
    study.marker.set_params(wanted, source=str(spec.file))


def _add_runs(study: Any, spec: StudySpec) -> int:
    from neuroloom.params.explore import points
    from neuroloom.studyfile.generic import design

    added = sum(study.explore(design(entry)) for entry in spec.explore)
    if study.catalog.count() == 0:  # no exploration: one run with the default parameters
        defaults = study.params.values()
        if not defaults:
            study.params.add("trial", 0, comment="index of the single run of a study without exploration")
            defaults = study.params.values()
        name = sorted(defaults)[0]
        added = study.explore(points([{name: defaults[name]}]))
    return int(added)


def _network_points(study: Any, spec: StudySpec) -> list[tuple[dict[str, Any], bool]]:
    """One ``(params, started)`` per distinct network point of the study's runs."""
    defaults = study.params.values()
    runs = study.runs
    explored = [n for n in sorted(references(spec.raw, "network")) if n in runs.columns]
    if not explored:
        return [(defaults, bool((runs["status"] != "pending").any()))]
    frame = runs[explored].astype(str).assign(started=runs["status"] != "pending")
    first = runs.loc[frame.drop_duplicates(explored).index, explored]
    started = frame.groupby(explored, sort=False)["started"].any()

    def key(row: dict[str, Any]) -> Any:
        values = tuple(str(row[n]) for n in explored)
        return values if len(values) > 1 else values[0]

    return [({**defaults, **row}, bool(started.loc[key(row)])) for row in first.to_dict("records")]


def _build_points(study: Any, spec: StudySpec, progress: bool, echo: Callable[[str], Any]) -> list[Path]:
    """Build the network of every network point (once each); return the circuit configs."""
    circuits = []
    for params, started in _network_points(study, spec):
        network = spec_for_run(spec.raw, spec.file, params).network
        assert network is not None
        folder = network_folder(study.path, network, True)
        if started and not folder.is_dir():
            raise StudyFileError(
                f"{spec.file}: the [network] section changed since study {study.path} built the network of "
                f"its runs (network point {network_hash(network)} is missing); give the study a new [study] "
                "path (or delete the old study) to build the new networks"
            )
        circuits.append(build_network(network, study.path, file=spec.file, progress=progress, per_point=True))
    echo(f"{len(circuits)} network point(s) under {study.path / 'network'}")
    return circuits


def _external_checksum(study: Any, spec: StudySpec, circuit: Path) -> str:
    """The circuit's checksum; refused when it differs from the one the study's runs used."""
    checksum = circuit_checksum(circuit)
    try:
        recorded = study[PIPELINE_KEY].get("checksum")
    except (ItemNotFoundError, KeyError):
        recorded = None
    started = study.catalog.count() > study.catalog.count("pending")
    if started and recorded is not None and recorded != checksum:
        raise StudyFileError(
            f"{spec.file}: [network] circuit = {circuit}: the circuit's files changed since study "
            f"{study.path} "
            "began its runs (checksum differs); restore the circuit, or give the study a new [study] path"
        )
    return checksum


def _networks(
    study: Any, spec: StudySpec, progress: bool, echo: Callable[[str], Any]
) -> tuple[list[Path], str | None]:
    """The circuits of the study's runs (built if needed) and the external circuit's checksum."""
    network = spec.network
    assert network is not None
    if network.circuit is not None:
        return [network.circuit], _external_checksum(study, spec, network.circuit)
    if network.simulation_config is not None:
        return [
            run_circuit(spec_for_run(spec.raw, spec.file, study.params.values()), study.path, False)
        ], None
    if references(spec.raw, "network"):
        return _build_points(study, spec, progress, echo), None
    resolved = spec_for_run(spec.raw, spec.file, study.params.values()).network
    assert resolved is not None
    built = build_network(resolved, study.path, file=spec.file, locked=study.params.locked, progress=progress)
    return [built], None


def _unconnected_inputs(spec: StudySpec, network: Any) -> list[str]:
    """Input populations (virtual) from which no projection leaves: their input reaches no neuron."""
    sources = {p.source for p in network.projections}
    virtual = {p.name for p in network.virtual}
    return sorted(
        {i.population for i in spec.inputs if i.population in virtual and i.population not in sources}
    )


def _simulators(study: Any, spec: StudySpec, default: StudySpec) -> list[str]:
    """The simulators of the study's runs: the default one, or every value of an explored reference.

    A study over a simulation config without ``[simulation] simulator`` runs on
    the config's ``target_simulator``.
    """
    given = (spec.raw.get("simulation") or {}).get("simulator")
    network = default.network
    if given is None and network is not None and network.simulation_config is not None:
        from neuroloom.studyfile.sonata_config import config_simulator

        name = config_simulator(network.simulation_config, None)
        check_simulator(name, spec.file)
        return [name]
    runs = study.runs
    if is_reference(given) and str(given)[1:] in runs.columns:
        names = sorted({str(v) for v in runs[str(given)[1:]]})
        for name in names:
            check_simulator(name, spec.file)
        return names
    return [default.simulation.simulator]


def _check_circuit(
    spec: StudySpec, circuit: Path, simulators: list[str], echo: Callable[[str], Any]
) -> dict[str, int]:
    """Load a circuit with the default-parameter inputs, so bad input fails before any run.

    Every simulator of the study's runs is asked whether it has each population's model.
    """
    from neuroloom.sim.point import check_input_targets, record_spec
    from neuroloom.studyfile.network import scale_weights

    try:
        network = load_network(circuit)
    except SimulationError as exc:
        raise with_context(exc, f"{spec.file}: [network] {circuit}: {exc}") from exc
    for name in simulators:
        check_models(name, network, spec.file)
    if spec.network is not None and spec.network.simulation_config is not None:
        from neuroloom.studyfile.sonata_config import check_overrides

        where = f"{spec.file}: [simulation_config]"
        check_overrides(spec.network.simulation_config, spec.network.overrides, network, where)
    scale_weights(network, spec.simulation.weight_scale, f"{spec.file}: [simulation]")
    inputs = make_inputs(spec.inputs, spec.file)
    try:
        check_input_targets(inputs, network)
        record_spec(spec.simulation.record or None, network)
    except SimulationError as exc:
        raise with_context(exc, f"{spec.file}: {exc}") from exc
    for name in _unconnected_inputs(spec, network):
        echo(
            f"warning: {spec.file}: [[inputs]] drive population {name!r}, which connects to nothing (no "
            "[[network.connections]] has it as source): its input reaches no neuron"
        )
    return {p.name: p.size for p in network.populations.values()}


def _record(
    study: Any, spec: StudySpec, circuits: list[Path], checksum: str | None, sizes: dict[str, int]
) -> None:
    """The study's record of its study file: content and paths relative to the study folder."""

    def rel(path: Path) -> str:
        return Path(os.path.relpath(path, study.path)).as_posix()

    network = spec.network
    assert network is not None
    study[PIPELINE_KEY] = {
        "file": rel(spec.file),
        "config": spec.raw,
        "circuit": rel(network.circuit) if network.circuit is not None else None,
        "checksum": checksum,
        "networks": sorted(rel(c.parent) for c in circuits if network.circuit is None),
        "sizes": sizes,
        "virtual": sorted(p.name for p in load_network(circuits[0]).virtual) if circuits else [],
    }


def prepare_study(
    spec: StudySpec,
    overrides: Iterable[str] = (),
    *,
    progress: bool = True,
    echo: Callable[[str], Any] = print,
) -> tuple[Any, NetworkJob]:
    """Create/open the study of ``spec``, add its runs, build its networks; return ``(study, job)``."""
    from neuroloom.datastore.study import Study

    overrides = list(overrides)
    if spec.network is None:
        raise StudyFileError(f"{spec.file}: a study with [study] job = ... runs with neuroloom run, not here")
    simulator = spec.simulation.simulator
    given = "simulator" in (spec.raw.get("simulation") or {})
    if not str(simulator).startswith("$") and (given or spec.network.simulation_config is None):
        check_simulator(simulator, spec.file)  # a config study's target_simulator is checked below
    for name in explored_overrides(spec, overrides):
        echo(
            f"warning: --set {name}=...: {name} is explored by [[explore]], "
            "so every run takes its value from there"
        )
    study = Study(spec.path, seed=spec.seed)
    _set_params(study, spec, overrides)
    added = _add_runs(study, spec)
    circuits, checksum = _networks(study, spec, progress, echo)
    default = spec_for_run(spec.raw, spec.file, study.params.values())
    sizes = _check_circuit(default, circuits[0], _simulators(study, spec, default), echo) if circuits else {}
    _record(study, spec, circuits, checksum, sizes)
    echo(
        f"study {study.path}: {sum(sizes.values())} nodes in {len(sizes)} populations, {added} new runs, "
        f"{study.catalog.count('pending')} pending"
    )
    per_point = bool(references(spec.raw, "network")) and spec.network.built
    return study, NetworkJob(spec.raw, str(spec.file), str(study.path), per_point)


def run_spec(
    spec: StudySpec,
    overrides: Iterable[str] = (),
    *,
    backend: str | None = None,
    workers: int | None = None,
    address: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    echo: Callable[[str], Any] = print,
    git_commit: bool = False,
    git_fail: bool = False,
) -> tuple[Any, Any]:
    """Prepare the study of ``spec`` and run its pending runs; returns ``(study, RunReport)``.

    ``git_commit``/``git_fail`` as in ``Study.run``, for the study file's repository.
    """
    study, job = prepare_study(spec, overrides, progress=progress, echo=echo)
    report = study.run(
        job,
        git_commit=git_commit,
        git_fail=git_fail,
        git_repo=Path(spec.file).resolve().parent,
        backend=backend or spec.backend,
        workers=workers or spec.workers,
        address=address or spec.address,
        retry_failed=retry_failed,
        progress=progress,
        raise_on_failure=False,
    )
    return study, report


def run_study_file(
    path: str | Path, overrides: Iterable[str] = (), *, out: str | Path | None = None, **kwargs: Any
) -> tuple[Any, Any]:
    """Read the study file at ``path`` and run it (see :func:`run_spec`).

    ``out``: the folder ``[study] path`` is relative to (default: the current directory).
    """
    from neuroloom._io.config import read_config

    file = Path(path)
    return run_spec(parse_spec(read_config(file), file, root=out), overrides, **kwargs)
