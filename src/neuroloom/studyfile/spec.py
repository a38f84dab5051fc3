"""The study file of the main job: sections, keys and their checks.

A study file (TOML, YAML or JSON) describes a whole network study::

    [study]                 path, seed, backend, workers, address
    [params]                the parameter tree (as for ``neuroloom run``)
    [[explore]]             grid / zip / points / random designs
    [network]               circuit = "circuit_config.json"   (an existing SONATA circuit)
                            or populations + connections       (built with neuroloom.network)
    [simulation]            simulator, duration, dt, weight_scale, record, ...
    [[inputs]]              poisson / spikes / current_clamp
    [analysis]              t_start, t_stop, bin_size, fano_window

Any number (and the simulator name) in ``[simulation]``, ``[[inputs]]`` and
``[analysis]`` may be a parameter reference ``"$input.rate"``: each run
uses its own value. The network is built once per study, so ``[network]``
takes plain values; scale weights per run with
``[simulation.weight_scale]`` (source population or edge population ->
factor).

Unknown sections or keys are errors that name the file, the section and
the keys allowed there (a misspelt key must not be silently ignored).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroloom.errors import ParameterError, StudyFileError

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
    "resolve",
]

SIMULATORS = ("brian2", "nest")
SECTIONS = {"study", "params", "explore", "network", "simulation", "inputs", "analysis", "report"}
STUDY_KEYS = {"path", "seed", "backend", "workers", "address", "job", "description"}
NETWORK_KEYS = {"circuit", "populations", "connections", "seed", "name"}
POPULATION_KEYS = {"n", "model", "params", "initial_v", "properties"}
CONNECTION_KEYS = {"source", "target", "rule", "p", "k", "weight", "delay", "autapses"}
RULES = ("fixed_probability", "fixed_indegree", "fixed_outdegree", "all_to_all")
SIMULATION_KEYS = {"simulator", "duration", "dt", "target", "threads", "weight_scale", "record", "record_dt"}
INPUT_KEYS = {
    "poisson": {"type", "population", "rate", "node_ids", "start", "stop", "release_prob"},
    "spikes": {"type", "population", "path", "source_population", "release_prob"},
    "current_clamp": {"type", "population", "amplitude", "delay", "duration", "node_ids"},
}
ANALYSIS_KEYS = {"t_start", "t_stop", "bin_size", "fano_window"}
REPORT_KEYS = {"runs", "populations"}


def _where(file: Path | str, section: str) -> str:
    return f"{file}: [{section}]"


def _check_keys(data: Any, allowed: set[str], file: Path | str, section: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise StudyFileError(f"{_where(file, section)} must be a table of keys, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise StudyFileError(
            f"{_where(file, section)}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}"
        )
    return dict(data)


def _number(value: Any, file: Path | str, section: str, key: str, *, positive: bool = False) -> Any:
    """A number or a ``"$param"`` reference."""
    if isinstance(value, str) and value.startswith("$"):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise StudyFileError(
            f"{_where(file, section)} {key} = {value!r}: give a number or a parameter reference "
            'like "$input.rate"'
        )
    if positive and float(value) <= 0:
        raise StudyFileError(f"{_where(file, section)} {key} = {value!r} must be > 0")
    return value


def resolve(value: Any, params: Mapping[str, Any], where: str) -> Any:
    """``value`` with a ``"$name"`` reference replaced by parameter ``name`` of ``params``."""
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in params:
            raise ParameterError(
                f"{where}: {value!r} names no parameter; add {name!r} to [params] "
                f"(parameters: {sorted(params)})"
            )
        return params[name]
    return value


@dataclass(frozen=True)
class PopulationSpec:
    """A node population to build: ``n`` neurons of one model (or virtual spike sources)."""

    name: str
    n: int
    model: str
    params: dict[str, float] = field(default_factory=dict)
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
    p: float | None
    k: int | None
    weight: float
    delay: float
    autapses: bool = False


@dataclass(frozen=True)
class NetworkSpec:
    """Either an existing circuit (``circuit``) or populations and connections to build."""

    circuit: Path | None
    populations: tuple[PopulationSpec, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    seed: int = 0
    name: str = "network"


@dataclass(frozen=True)
class InputSpec:
    """One input; values may be ``"$param"`` references, resolved per run."""

    kind: str
    population: str
    values: dict[str, Any]


@dataclass(frozen=True)
class SimulationSpec:
    simulator: str = "brian2"
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
    network: NetworkSpec
    simulation: SimulationSpec
    inputs: tuple[InputSpec, ...]
    analysis: AnalysisSpec
    report: dict[str, Any]
    raw: dict[str, Any]


def _population(name: str, data: Any, file: Path | str) -> PopulationSpec:
    section = f"network.populations.{name}"
    entry = _check_keys(data, POPULATION_KEYS, file, section)
    if "n" not in entry or isinstance(entry["n"], bool) or not isinstance(entry["n"], int) or entry["n"] <= 0:
        raise StudyFileError(f"{_where(file, section)} needs n = <number of nodes> (a positive integer)")
    model = str(entry.get("model", "iaf_psc_exp")).removeprefix("nest:")
    params = entry.get("params", {})
    if not isinstance(params, Mapping) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in params.values()
    ):
        raise StudyFileError(
            f"{_where(file, section)} params must be a table of numbers (NEST names and units)"
        )
    if model == "virtual" and params:
        raise StudyFileError(f"{_where(file, section)}: a virtual population takes no params")
    initial = entry.get("initial_v")
    if initial is not None and not (
        isinstance(initial, list) and len(initial) == 2 and all(isinstance(v, (int, float)) for v in initial)
    ):
        raise StudyFileError(f"{_where(file, section)} initial_v must be [low, high] in mV (uniform)")
    props = entry.get("properties", {})
    if not isinstance(props, Mapping):
        raise StudyFileError(f"{_where(file, section)} properties must be a table")
    return PopulationSpec(
        name,
        int(entry["n"]),
        model,
        {k: float(v) for k, v in params.items()},
        (float(initial[0]), float(initial[1])) if initial is not None else None,
        dict(props),
    )


def _connection(pos: int, data: Any, names: set[str], file: Path | str) -> ConnectionSpec:
    section = f"network.connections #{pos + 1}"
    entry = _check_keys(data, CONNECTION_KEYS, file, section)
    for key in ("source", "target", "weight", "delay"):
        if key not in entry:
            raise StudyFileError(f"{_where(file, section)} needs {key}")
    targets = entry["target"] if isinstance(entry["target"], list) else [entry["target"]]
    for pop in [entry["source"], *targets]:
        if pop not in names:
            raise StudyFileError(
                f"{_where(file, section)} names population {pop!r}, which [network.populations] does not "
                f"define (populations: {sorted(names)})"
            )
    rule = str(entry.get("rule", "fixed_probability"))
    if rule not in RULES:
        raise StudyFileError(f"{_where(file, section)} rule = {rule!r}; use one of {list(RULES)}")
    p = entry.get("p")
    k = entry.get("k")
    if rule == "fixed_probability" and not (isinstance(p, (int, float)) and 0 < p <= 1):
        raise StudyFileError(f"{_where(file, section)} rule fixed_probability needs p in (0, 1]")
    if rule in ("fixed_indegree", "fixed_outdegree") and not (isinstance(k, int) and k > 0):
        raise StudyFileError(f"{_where(file, section)} rule {rule} needs k = <positive integer>")
    for key in ("weight", "delay"):
        if isinstance(entry[key], str):
            raise StudyFileError(
                f"{_where(file, section)} {key} = {entry[key]!r}: the network is built once per study, so "
                "its values cannot be parameters; scale weights per run with [simulation.weight_scale]"
            )
        _number(entry[key], file, section, key)
    if float(entry["delay"]) < 0:
        raise StudyFileError(f"{_where(file, section)} delay must be >= 0 ms")
    return ConnectionSpec(
        str(entry["source"]),
        tuple(str(t) for t in targets),
        rule,
        float(p) if p is not None else None,
        int(k) if k is not None else None,
        float(entry["weight"]),
        float(entry["delay"]),
        bool(entry.get("autapses", False)),
    )


def _network(data: Any, file: Path) -> NetworkSpec:
    entry = _check_keys(data, NETWORK_KEYS, file, "network")
    seed = int(entry.get("seed", 0))
    name = str(entry.get("name", "network"))
    if "circuit" in entry:
        if "populations" in entry or "connections" in entry:
            raise StudyFileError(
                f"{_where(file, 'network')}: give either circuit = '<circuit_config.json>' or populations "
                "and "
                "connections, not both"
            )
        circuit = (file.parent / str(entry["circuit"])).resolve()
        if not circuit.is_file():
            raise StudyFileError(
                f"{_where(file, 'network')} circuit = {entry['circuit']!r}: {circuit} does not exist"
            )
        return NetworkSpec(circuit, seed=seed, name=name)
    pops = entry.get("populations")
    if not isinstance(pops, Mapping) or not pops:
        raise StudyFileError(
            f"{_where(file, 'network')} needs circuit = '<circuit_config.json>' or "
            "[network.populations.<name>] "
            "tables (n, model, params)"
        )
    populations = tuple(_population(str(n), d, file) for n, d in pops.items())
    names = {p.name for p in populations}
    conns = entry.get("connections", [])
    if not isinstance(conns, list):
        raise StudyFileError(
            f"{_where(file, 'network')} connections must be an array of tables [[network.connections]]"
        )
    connections = tuple(_connection(i, c, names, file) for i, c in enumerate(conns))
    return NetworkSpec(None, populations, connections, seed, name)


def _simulation(data: Any, file: Path) -> SimulationSpec:
    entry = _check_keys(data, SIMULATION_KEYS, file, "simulation")
    simulator = entry.get("simulator", "brian2")
    if not (isinstance(simulator, str) and (simulator.startswith("$") or simulator in SIMULATORS)):
        hint = (
            " (NEURON simulates detailed single cells: write a job with neuroloom.sim.neuron and give it as "
            "[study] job = 'file.py:function')"
            if simulator == "neuron"
            else ""
        )
        raise StudyFileError(
            f"{_where(file, 'simulation')} simulator = {simulator!r}: point networks run in "
            f"{list(SIMULATORS)}{hint}"
        )
    duration = _number(entry.get("duration", 1000.0), file, "simulation", "duration", positive=True)
    dt = _number(entry.get("dt", 0.1), file, "simulation", "dt", positive=True)
    scale = entry.get("weight_scale", {})
    if not isinstance(scale, Mapping):
        raise StudyFileError(
            f"{_where(file, 'simulation')} weight_scale must be a table: population = factor"
        )
    for key, value in scale.items():
        _number(value, file, "simulation.weight_scale", key)
    record = entry.get("record", {})
    if not isinstance(record, Mapping):
        raise StudyFileError(
            f"{_where(file, 'simulation')} record must be a table: population = [variables] or "
            "{ variable = [node ids] }"
        )
    target = str(entry.get("target", "auto"))
    if target not in ("auto", "cython", "numpy"):
        raise StudyFileError(f"{_where(file, 'simulation')} target = {target!r}: use auto, cython or numpy")
    record_dt = entry.get("record_dt")
    if record_dt is not None:
        _number(record_dt, file, "simulation", "record_dt", positive=True)
    return SimulationSpec(
        simulator, duration, dt, target, int(entry.get("threads", 1)), dict(scale), dict(record), record_dt
    )


def _input(pos: int, data: Any, file: Path) -> InputSpec:
    section = f"inputs #{pos + 1}"
    if not isinstance(data, Mapping) or "type" not in data:
        raise StudyFileError(f"{_where(file, section)} needs type = one of {sorted(INPUT_KEYS)}")
    kind = str(data["type"])
    if kind not in INPUT_KEYS:
        raise StudyFileError(f"{_where(file, section)} type = {kind!r}; use one of {sorted(INPUT_KEYS)}")
    entry = _check_keys(data, INPUT_KEYS[kind], file, section)
    if "population" not in entry:
        raise StudyFileError(f"{_where(file, section)} needs population = '<name>'")
    for key in ("rate", "start", "stop", "release_prob", "amplitude", "delay", "duration"):
        if key in entry:
            _number(entry[key], file, section, key)
    if kind == "poisson" and "rate" not in entry:
        raise StudyFileError(f"{_where(file, section)} a poisson input needs rate (Hz)")
    if kind == "spikes":
        if "path" not in entry:
            raise StudyFileError(f"{_where(file, section)} a spikes input needs path = '<SONATA spikes.h5>'")
        entry["path"] = str((file.parent / str(entry["path"])).resolve())
    if kind == "current_clamp":
        for key in ("amplitude", "delay", "duration"):
            if key not in entry:
                raise StudyFileError(f"{_where(file, section)} a current_clamp needs {key}")
    entry.pop("type")
    population = str(entry.pop("population"))
    return InputSpec(kind, population, entry)


def parse_spec(config: Any, file: str | Path) -> StudySpec:
    """Check a study file's content (a mapping as read from TOML/YAML/JSON) and return its spec."""
    file = Path(file)
    if not isinstance(config, Mapping):
        raise StudyFileError(f"{file}: a study file must be a table of sections")
    unknown = sorted(set(config) - SECTIONS)
    if unknown:
        raise StudyFileError(f"{file}: unknown section(s) {unknown}; sections are {sorted(SECTIONS)}")
    study = _check_keys(config.get("study", {}), STUDY_KEYS, file, "study")
    if "network" not in config:
        raise StudyFileError(
            f"{file}: no [network] section; give [network] circuit = '<circuit_config.json>' or populations "
            "and connections (or a [study] job = 'file.py:function' for a study of your own)"
        )
    backend = str(study.get("backend", "processes"))
    if backend not in ("serial", "processes", "dask"):
        raise StudyFileError(f"{_where(file, 'study')} backend = {backend!r}; use serial, processes or dask")
    inputs = config.get("inputs", [])
    if not isinstance(inputs, list):
        raise StudyFileError(f"{file}: inputs must be an array of tables [[inputs]]")
    analysis = _check_keys(config.get("analysis", {}), ANALYSIS_KEYS, file, "analysis")
    for key, value in analysis.items():
        if value is not None:
            _number(value, file, "analysis", key)
    report = _check_keys(config.get("report", {}), REPORT_KEYS, file, "report")
    workers = study.get("workers")
    return StudySpec(
        file=file.resolve(),
        path=(file.parent / str(study.get("path", file.stem))).resolve(),
        seed=int(study["seed"]) if "seed" in study else None,
        backend=backend,
        workers=int(workers) if workers is not None else None,
        address=study.get("address"),
        network=_network(config["network"], file),
        simulation=_simulation(config.get("simulation", {}), file),
        inputs=tuple(_input(i, d, file) for i, d in enumerate(inputs)),
        analysis=AnalysisSpec(**analysis),
        report=report,
        raw=dict(config),
    )


def read_spec(path: str | Path) -> StudySpec:
    """Read and check a study file."""
    from neuroloom._io.config import read_config

    file = Path(path)
    return parse_spec(read_config(file), file)
