"""The study file: parsing and checking against :mod:`neuroloom.studyfile.schema`.

A study file (TOML, YAML or JSON) describes a whole study (every section and
key is listed in ``docs/study-file.md``, generated from the schema)::

    [study]                 path, seed, backend, workers, address, job
    [params]                the parameter tree
    [[explore]]             grid / zip / points / random designs
    [network]               circuit = "circuit_config.json"   (an existing SONATA circuit)
                            or simulation_config = "simulation_config.json"
                            or populations + connections       (built with neuroloom.network)
    [simulation]            simulator, duration, dt, weight_scale, record, ...
    [[inputs]]              poisson / spikes / current_clamp
    [analysis]              t_start, t_stop, bin_size, fano_window

Keys the schema marks as references may be ``"$input.rate"``: each run uses
its own value. :func:`parse_spec` checks the file once (references must name
a parameter of ``[params]``); :func:`resolve_config` replaces every reference
with a run's values, the one place where that happens, and
:func:`spec_for_run` parses the result, so a value that does not fit its
key fails with the same message whether written or referenced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroloom.errors import StudyFileError
from neuroloom.studyfile import schema
from neuroloom.studyfile.schema import check_section, is_reference

__all__ = [
    "SIMULATORS",
    "AnalysisSpec",
    "ConnectionSpec",
    "InputSpec",
    "NetworkSpec",
    "PopulationSpec",
    "SimulationSpec",
    "StudySpec",
    "parse_spec",
    "read_spec",
    "references",
    "resolve_config",
    "spec_for_run",
]

SIMULATORS = schema.section("simulation").key("simulator").choices
RESOLVED_SECTIONS = ("network", "simulation", "inputs", "analysis", "simulation_config")


@dataclass(frozen=True)
class PopulationSpec:
    """A node population to build: ``n`` neurons of one model (or virtual spike sources)."""

    name: str
    n: Any
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    initial_v: tuple[float, float] | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def virtual(self) -> bool:
        return self.model == "virtual"


@dataclass(frozen=True)
class ConnectionSpec:
    """Edges from one population to one or more populations by a connection rule."""

    source: str
    targets: tuple[str, ...]
    rule: str
    p: Any
    k: Any
    weight: Any
    delay: Any
    autapses: bool = False


@dataclass(frozen=True)
class NetworkSpec:
    """An existing circuit (``circuit``), a simulation config, or populations and connections to build."""

    circuit: Path | None
    populations: tuple[PopulationSpec, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    seed: Any = 0
    name: str = "network"
    simulation_config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def built(self) -> bool:
        """Whether neuroloom builds this network (populations and connections)."""
        return self.circuit is None and self.simulation_config is None


@dataclass(frozen=True)
class InputSpec:
    """One input; values may be ``"$param"`` references until resolved."""

    kind: str
    population: str
    values: dict[str, Any]


@dataclass(frozen=True)
class SimulationSpec:
    simulator: Any = "brian2"
    duration: Any = 1000.0
    dt: Any = 0.1
    target: str = "auto"
    threads: int = 1
    weight_scale: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    record_dt: Any = None


@dataclass(frozen=True)
class AnalysisSpec:
    t_start: Any = 0.0
    t_stop: Any = None
    bin_size: Any = 5.0
    fano_window: Any = 50.0


@dataclass(frozen=True)
class StudySpec:
    """A parsed study file (``raw`` keeps the file's content for the study's record)."""

    file: Path
    path: Path
    seed: int | None
    backend: str
    workers: int | None
    address: str | None
    network: NetworkSpec | None
    simulation: SimulationSpec
    inputs: tuple[InputSpec, ...]
    analysis: AnalysisSpec
    report: dict[str, Any]
    raw: dict[str, Any]
    job: str | None = None
    explore: tuple[dict[str, Any], ...] = ()
    params: frozenset[str] = frozenset()


def _where(file: Path | str, section: str) -> str:
    return f"{file}: [{section}]"


def param_names(config: Mapping[str, Any], file: Path | str) -> set[str] | None:
    """Names of the parameters of ``[params]`` (None without that section)."""
    from neuroloom.params.tree import flatten_with_units

    params = config.get("params")
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise StudyFileError(f"{_where(file, 'params')} must be a table of parameters")
    return set(flatten_with_units(params))


def _population(name: str, data: Any, file: Path | str, params: set[str] | None) -> PopulationSpec:
    entry = check_section(
        data, schema.section("network.populations"), _where(file, f"network.populations.{name}"), params
    )
    model = str(entry["model"]).removeprefix("nest:")
    if model == "virtual" and entry["params"]:
        raise StudyFileError(
            f"{_where(file, f'network.populations.{name}')}: a virtual population takes no params"
        )
    initial = entry.get("initial_v")
    return PopulationSpec(
        name, entry["n"], model, entry["params"], tuple(initial) if initial else None, entry["properties"]
    )


def _connection(
    pos: int, data: Any, names: set[str], file: Path | str, params: set[str] | None
) -> ConnectionSpec:
    where = _where(file, f"network.connections #{pos + 1}")
    entry = check_section(data, schema.section("network.connections"), where, params)
    targets = entry["target"] if isinstance(entry["target"], list) else [entry["target"]]
    for pop in [entry["source"], *targets]:
        if pop not in names:
            raise StudyFileError(
                f"{where} names population {pop!r}, which [network.populations] does not "
                f"define (populations: {sorted(names)})"
            )
    rule = entry["rule"]
    if rule == "fixed_probability" and "p" not in entry:
        raise StudyFileError(f"{where} rule fixed_probability needs p in (0, 1]")
    if rule in ("fixed_indegree", "fixed_outdegree") and "k" not in entry:
        raise StudyFileError(f"{where} rule {rule} needs k = <positive integer>")
    return ConnectionSpec(
        entry["source"],
        tuple(targets),
        rule,
        entry.get("p"),
        entry.get("k"),
        entry["weight"],
        entry["delay"],
        entry["autapses"],
    )


def _external(entry: dict[str, Any], key: str, file: Path, check: bool) -> Path:
    path: Path = (file.parent / str(entry[key])).resolve()
    if check and not path.is_file():
        raise StudyFileError(f"{_where(file, 'network')} {key} = {entry[key]!r}: {path} does not exist")
    return path


def _overrides(data: Any, file: Path, params: set[str] | None) -> dict[str, Any]:
    """``[simulation_config]`` flattened to ``{"run.tstop": value}`` and checked."""
    from neuroloom.params.tree import flatten

    where = _where(file, "simulation_config")
    if not isinstance(data, Mapping):
        raise StudyFileError(f"{where} must be a table of dotted paths (run.tstop = ...)")
    flat = flatten(data)
    roots = ("run", "inputs", "conditions", "node_types", "edge_types")
    out: dict[str, Any] = {}
    for path, item in flat.items():
        value = list(item) if isinstance(item, tuple) else item  # flatten gives tuples
        if path.split(".")[0] not in roots or len(path.split(".")) < 2:
            raise StudyFileError(f"{where} {path}: give a path starting with one of {list(roots)}")
        key = schema.Key(path, "float", "", reference=True)
        out[path] = (
            value
            if isinstance(value, (str, bool)) and not is_reference(value)
            else schema.check_value(key, value, where, params)
        )
    return out


def _network(data: Any, file: Path, params: set[str] | None, extra: Any, check: bool = True) -> NetworkSpec:
    where = _where(file, "network")
    entry = check_section(data, schema.section("network"), where, params)
    seed, name = entry["seed"], entry["name"]
    given = [k for k in ("circuit", "simulation_config", "populations") if k in entry]
    if len(given) > 1 or ("connections" in entry and "populations" not in entry):
        raise StudyFileError(
            f"{where}: give one of circuit = '<circuit_config.json>', simulation_config = "
            "'<simulation_config.json>' or populations and connections (got "
            f"{sorted(set(given) | ({'connections'} & set(entry)))})"
        )
    if extra is not None and "simulation_config" not in entry:
        raise StudyFileError(
            f"{file}: [simulation_config] overrides need [network] simulation_config = '...'"
        )
    if "circuit" in entry:
        return NetworkSpec(_external(entry, "circuit", file, check), seed=seed, name=name)
    if "simulation_config" in entry:
        overrides = _overrides(extra if extra is not None else {}, file, params)
        return NetworkSpec(
            None,
            seed=seed,
            name=name,
            simulation_config=_external(entry, "simulation_config", file, check),
            overrides=overrides,
        )
    pops = entry.get("populations")
    if not pops:
        raise StudyFileError(
            f"{where} needs circuit = '<circuit_config.json>', "
            "simulation_config = '<simulation_config.json>' "
            "or [network.populations.<name>] tables (n, model, params)"
        )
    populations = tuple(_population(str(n), d, file, params) for n, d in pops.items())
    names = {p.name for p in populations}
    conns = entry.get("connections", [])
    connections = tuple(_connection(i, c, names, file, params) for i, c in enumerate(conns))
    return NetworkSpec(None, populations, connections, seed, name)


def _simulation(data: Any, file: Path, params: set[str] | None) -> SimulationSpec:
    entry = check_section(data, schema.section("simulation"), _where(file, "simulation"), params)
    if not isinstance(entry["record"], Mapping):
        raise StudyFileError(f"{_where(file, 'simulation')} record must be a table")
    return SimulationSpec(**entry)


def _input(pos: int, data: Any, file: Path, params: set[str] | None) -> InputSpec:
    where = _where(file, f"inputs #{pos + 1}")
    kind = data.get("type") if isinstance(data, Mapping) else None
    if kind not in schema.INPUT_TYPES:
        raise StudyFileError(f"{where} type = {kind!r}; use one of {sorted(schema.INPUT_TYPES)}")
    entry = check_section(data, schema.section("inputs"), where, params, only=kind)
    needs = {"poisson": ("rate",), "spikes": ("path",), "current_clamp": ("amplitude", "delay", "duration")}[
        kind
    ]
    for key in needs:
        if key not in entry:
            raise StudyFileError(
                f"{where} a {kind} input needs {key} ({schema.section('inputs').key(key).doc})"
            )
    start, stop = entry.get("start"), entry.get("stop")
    if isinstance(start, float) and isinstance(stop, float) and not start < stop:
        raise StudyFileError(f"{where} start = {start} must be < stop = {stop}")
    if kind == "spikes":
        entry["path"] = str((file.parent / entry["path"]).resolve())
    entry.pop("type")
    population = entry.pop("population")
    return InputSpec(kind, population, entry)


def _analysis(data: Any, file: Path, params: set[str] | None) -> AnalysisSpec:
    where = _where(file, "analysis")
    entry = check_section(data, schema.section("analysis"), where, params)
    start, stop = entry["t_start"], entry.get("t_stop")
    if isinstance(start, float) and isinstance(stop, float) and not start < stop:
        raise StudyFileError(f"{where} t_start = {start} must be < t_stop = {stop}")
    return AnalysisSpec(**entry)


def _explore(data: Any, file: Path, params: set[str] | None) -> tuple[dict[str, Any], ...]:
    from neuroloom.studyfile.generic import check_design

    if not isinstance(data, list):
        raise StudyFileError(f"{file}: explore must be an array of tables [[explore]]")
    return tuple(
        check_design(entry, _where(file, f"explore #{i + 1}"), params) for i, entry in enumerate(data)
    )


def _sections(config: Any, file: Path) -> None:
    if not isinstance(config, Mapping):
        raise StudyFileError(f"{file}: a study file must be a table of sections")
    unknown = sorted(set(config) - set(schema.TOP_LEVEL))
    if unknown:
        raise StudyFileError(f"{file}: unknown section(s) {unknown}; sections are {sorted(schema.TOP_LEVEL)}")
    job = config.get("study", {}).get("job") if isinstance(config.get("study"), Mapping) else None
    if "network" not in config and job is None:
        raise StudyFileError(
            f"{file}: no [network] section; give [network] circuit = '<circuit_config.json>' or populations "
            "and connections (or a [study] job = 'file.py:function' for a study of your own)"
        )
    if "network" in config and job is not None:
        raise StudyFileError(
            f"{_where(file, 'study')} job = {job!r}: a study with a job has no [network] section"
        )


def parse_spec(
    config: Any, file: str | Path, *, root: str | Path | None = None, check_files: bool = True
) -> StudySpec:
    """Check a study file's content (a mapping as read from TOML/YAML/JSON) and return its spec.

    ``root`` is the folder ``[study] path`` is relative to (default: the current directory);
    ``check_files=False`` accepts external files that are missing (reading a stored study's record).
    """
    file = Path(file)
    _sections(config, file)
    params = param_names(config, file)
    study = check_section(config.get("study", {}), schema.section("study"), _where(file, "study"), params)
    inputs = config.get("inputs", [])
    if not isinstance(inputs, list):
        raise StudyFileError(f"{file}: inputs must be an array of tables [[inputs]]")
    base = Path.cwd() if root is None else Path(root)
    network = config.get("network")
    return StudySpec(
        file=file.resolve(),
        path=(base / study.get("path", file.stem)).resolve(),
        seed=study.get("seed"),
        backend=study["backend"],
        workers=study.get("workers"),
        address=study.get("address"),
        network=None
        if network is None
        else _network(network, file, params, config.get("simulation_config"), check_files),
        simulation=_simulation(config.get("simulation", {}), file, params),
        inputs=tuple(_input(i, d, file, params) for i, d in enumerate(inputs)),
        analysis=_analysis(config.get("analysis", {}), file, params),
        report=check_section(
            config.get("report", {}), schema.section("report"), _where(file, "report"), params
        ),
        raw=dict(config),
        job=study.get("job"),
        explore=_explore(config.get("explore", []), file, params),
        params=frozenset(params or ()),
    )


def _substitute(value: Any, params: Mapping[str, Any], where: str) -> Any:
    if is_reference(value):
        name = value[1:]
        if name not in params:
            raise StudyFileError(f"{where}: {value!r} names no parameter (parameters: {sorted(params)})")
        got = params[name]
        return list(got) if isinstance(got, tuple) else got
    if isinstance(value, Mapping):
        return {k: _substitute(v, params, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params, where) for v in value]
    return value


def resolve_config(config: Mapping[str, Any], params: Mapping[str, Any], file: Path | str) -> dict[str, Any]:
    """``config`` with every ``"$name"`` of the run sections replaced by ``params[name]``."""
    out = dict(config)
    for name in RESOLVED_SECTIONS:
        if name in out:
            out[name] = _substitute(out[name], params, f"{file}: [{name}]")
    return out


def references(config: Mapping[str, Any], section: str) -> set[str]:
    """Names of the parameters referenced in ``section`` of ``config``."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if is_reference(value):
            found.add(value[1:])
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(config.get(section))
    return found


def spec_for_run(config: Mapping[str, Any], file: Path | str, params: Mapping[str, Any]) -> StudySpec:
    """The spec of one run: references resolved with ``params``, then checked as written values are."""
    return parse_spec(resolve_config(config, params, file), file)


def read_spec(path: str | Path, *, root: str | Path | None = None) -> StudySpec:
    """Read and check a study file."""
    from neuroloom._io.config import read_config

    file = Path(path)
    return parse_spec(read_config(file), file, root=root)
