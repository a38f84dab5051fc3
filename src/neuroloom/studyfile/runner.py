"""Run a study file end to end: parameters, exploration, network, simulations.

``run_study_file("ei_balanced.toml")`` (what ``neuroloom run`` does for a
file with a ``[network]`` section):

1. reads and checks the file (:mod:`neuroloom.studyfile.spec`);
2. fails early if the simulator is not installed, a model is unsupported or an
   input names a population the circuit lacks, before any run starts;
3. creates or opens the study, loads ``[params]`` (locked once runs started),
   adds the ``[[explore]]`` points (points already present are not added twice);
4. builds the network into ``<study>/network`` (once) or uses the given circuit;
5. runs every pending run with :class:`~neuroloom.studyfile.job.NetworkJob` on
   the chosen backend; failed runs are reported, the others are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from neuroloom.errors import SimulationError, StudyFileError, with_context
from neuroloom.studyfile.job import NetworkJob, check_simulator, make_inputs
from neuroloom.studyfile.network import build_network
from neuroloom.studyfile.spec import StudySpec, parse_spec

__all__ = ["PIPELINE_KEY", "prepare_study", "run_spec", "run_study_file"]

PIPELINE_KEY = "pipeline"


def _set_params(study: Any, spec: StudySpec, overrides: Iterable[str]) -> None:
    from neuroloom.params.tree import ParamTree

    wanted = ParamTree()
    if spec.raw.get("params"):
        wanted.load(spec.file, list(overrides)) if spec.file.is_file() else _load_raw(wanted, spec, overrides)
    elif overrides:
        wanted.update(study.params.values())
        wanted.override(overrides)
    study.set_params(wanted, source=str(spec.file))


def _load_raw(tree: Any, spec: StudySpec, overrides: Iterable[str]) -> None:
    from neuroloom.params.tree import flatten_with_units

    for name, entry in flatten_with_units(spec.raw["params"]).items():
        tree._put(name, *entry)
    tree.override(list(overrides)) if overrides else None


def _check_circuit(spec: StudySpec, circuit: Path, params: dict[str, Any]) -> dict[str, int]:
    """Load the circuit and the default-parameter inputs once, so bad input fails before any run."""
    from neuroloom.sim.point import check_input_targets, load_point_network, record_spec
    from neuroloom.studyfile.network import scale_weights
    from neuroloom.studyfile.spec import resolve

    try:
        network = load_point_network(circuit)
    except SimulationError as exc:
        raise with_context(exc, f"{spec.file}: [network] {circuit}: {exc}") from exc
    scale_weights(
        network,
        {
            k: float(resolve(v, params, f"{spec.file}: [simulation] weight_scale"))
            for k, v in spec.simulation.weight_scale.items()
        },
        f"{spec.file}: [simulation]",
    )
    inputs = make_inputs(spec.inputs, params, spec.file)
    try:
        check_input_targets(inputs, network)
        record_spec(spec.simulation.record or None, network)
    except SimulationError as exc:
        raise with_context(exc, f"{spec.file}: {exc}") from exc
    return {p.name: p.size for p in network.populations.values()}


def prepare_study(
    spec: StudySpec,
    overrides: Iterable[str] = (),
    *,
    progress: bool = True,
    echo: Callable[[str], Any] = print,
) -> tuple[Any, NetworkJob]:
    """Create/open the study of ``spec``, add its runs, build its network; return ``(study, job)``."""
    from neuroloom.datastore.study import Study
    from neuroloom.studyfile.generic import design

    if isinstance(spec.simulation.simulator, str) and not spec.simulation.simulator.startswith("$"):
        check_simulator(spec.simulation.simulator, spec.file)
    study = Study(spec.path, seed=spec.seed)
    _set_params(study, spec, overrides)
    designs = spec.raw.get("explore", [])
    if not isinstance(designs, list):
        raise StudyFileError(f"{spec.file}: explore must be an array of tables [[explore]]")
    added = sum(study.explore(design(entry)) for entry in designs)
    if study.catalog.count() == 0:  # no exploration: one run with the default parameters
        from neuroloom.params.explore import points

        defaults = study.params.values()
        if not defaults:
            study.params.add("trial", 0, comment="index of the single run of a study without exploration")
            defaults = study.params.values()
        name = sorted(defaults)[0]
        added = study.explore(points([{name: defaults[name]}]))
    circuit = build_network(
        spec.network, study.path, file=spec.file, locked=study.params.locked, progress=progress
    )
    sizes = _check_circuit(spec, circuit, study.params.values())
    study[PIPELINE_KEY] = {
        "file": str(spec.file),
        "config": spec.raw,
        "circuit": str(circuit),
        "sizes": sizes,
    }
    echo(
        f"study {study.path}: {sum(sizes.values())} nodes in {len(sizes)} populations, {added} new runs, "
        f"{study.catalog.count('pending')} pending"
    )
    return study, NetworkJob(spec.raw, str(spec.file), str(circuit))


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


def run_study_file(path: str | Path, overrides: Iterable[str] = (), **kwargs: Any) -> tuple[Any, Any]:
    """Read the study file at ``path`` and run it (see :func:`run_spec`)."""
    from neuroloom._io.config import read_config

    file = Path(path)
    return run_spec(parse_spec(read_config(file), file), overrides, **kwargs)
