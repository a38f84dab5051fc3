"""The study file's schema: every section and key, with its type, default and meaning.

This module is the one owner of what a study file may contain. Parsing
(:mod:`neuroloom.studyfile.spec`) checks each section with
:func:`check_section`, and ``docs/study-file.md`` is generated from
:data:`SECTIONS` by :func:`render_markdown` (``neuroloom study-file-docs``).

A key marked *reference* may be given as ``"$name"``: the value of run
parameter ``name`` (from ``[params]`` / ``[[explore]]``), resolved once per
run by :func:`neuroloom.studyfile.spec.resolve_config`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neuroloom.errors import StudyFileError

__all__ = [
    "INPUT_TYPES",
    "REQUIRED",
    "SECTIONS",
    "Key",
    "Section",
    "check_section",
    "check_value",
    "is_reference",
    "render_markdown",
    "section",
]

REQUIRED = "(required)"
INPUT_TYPES = ("poisson", "spikes", "current_clamp")


@dataclass(frozen=True)
class Key:
    """One key of a section.

    ``kind`` is one of ``int``, ``float``, ``str``, ``bool``, ``choice``
    (one of ``choices``), ``names`` (a name or a non-empty list of names),
    ``numbers`` (a table of numbers), ``ids`` (a list of integers),
    ``range`` (``[low, high]`` with low < high), ``table``, ``array``.
    """

    name: str
    kind: str
    doc: str
    default: Any = None
    reference: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    strict: bool = False
    maximum: float | None = None
    only: tuple[str, ...] = ()  # [[inputs]]: the input types that take this key

    @property
    def required(self) -> bool:
        return bool(self.default == REQUIRED)

    def type_text(self) -> str:
        """The type as the docs page writes it."""
        text = {
            "int": "integer",
            "float": "number",
            "str": "string",
            "bool": "boolean",
            "choice": " \\| ".join(f'`"{c}"`' for c in self.choices),
            "names": "name or list of names",
            "numbers": "table of numbers",
            "ids": "list of integers",
            "range": "[low, high]",
            "table": "table",
            "array": "array of tables",
        }[self.kind]
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.strict else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        return text + (f" ({', '.join(bounds)})" if bounds else "")


@dataclass(frozen=True)
class Section:
    """A section: ``[name]`` (form ``table``), ``[[name]]`` (``array``) or ``[name.<x>]`` (``named``)."""

    name: str
    form: str
    doc: str
    keys: tuple[Key, ...] = ()
    free: bool = False  # any key allowed (checked elsewhere)

    @property
    def names(self) -> set[str]:
        return {k.name for k in self.keys}

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def header(self) -> str:
        return {"table": f"[{self.name}]", "array": f"[[{self.name}]]", "named": f"[{self.name}.<name>]"}[
            self.form
        ]


def _f(name: str, doc: str, default: Any = None, **kw: Any) -> Key:
    return Key(name, "float", doc, default, **kw)


_STUDY = Section(
    "study",
    "table",
    "Where the study lives and how its runs are executed.",
    (
        Key(
            "path",
            "str",
            "study folder, relative to the current directory (or to `--out`); never inside the source tree "
            "unless you ask for it",
            "<file stem>",
        ),
        Key("seed", "int", "seed of the study: each run's seed derives from it and the run's parameters"),
        Key("backend", "choice", "how runs execute", "processes", choices=("serial", "processes", "dask")),
        Key("workers", "int", "worker processes (default: the machine's cores)", minimum=1),
        Key("address", "str", "dask scheduler address (backend dask)"),
        Key(
            "job",
            "str",
            'a study of your own: `"file.py:function"` (relative to the study file) or `"module:function"`, '
            "called with each run; then no [network] section",
        ),
        Key("description", "str", "free text kept with the study"),
    ),
)
_PARAMS = Section(
    "params",
    "table",
    'The parameter tree: `name = value` or `name = { value = 1.0, unit = "ms", comment = "..." }`; '
    'dotted names (`input.rate`) group parameters. `"$input.rate"` elsewhere reads a run\'s value.',
    free=True,
)
_EXPLORE = Section(
    "explore",
    "array",
    "Exploration designs, each entry exactly one key; the points of all entries are added (a point "
    "already in the study is not added twice).",
    (
        Key("grid", "table", "cartesian product: `{ name = [values], ... }`"),
        Key("zip", "table", "values taken together: `{ name = [values], ... }`, equal lengths"),
        Key("points", "array", "explicit points: `[{ name = value, ... }, ...]`"),
        Key(
            "random",
            "table",
            "`{ n = 10, seed = 1, name = [low, high] | { uniform = [low, high] } | { choice = [...] } }`",
        ),
    ),
)
_NETWORK = Section(
    "network",
    "table",
    "The network: an existing SONATA circuit (`circuit`), a SONATA simulation config "
    "(`simulation_config`), or populations and connections built by neuroloom. Every value of a built "
    "network but the names of populations may be a reference: the network is built once per distinct "
    "network point (content-hashed, under `<study>/network/<hash>/`) and shared by the runs of that point.",
    (
        Key("circuit", "str", "`circuit_config.json` of an existing circuit (relative to the study file)"),
        Key(
            "simulation_config",
            "str",
            "a SONATA `simulation_config.json` to run per point, with values overridden by "
            "[simulation_config] (relative to the study file)",
        ),
        Key("seed", "int", "seed of the connection rules and initial potentials", 0, reference=True),
        Key("name", "str", "name of the built network", "network"),
        Key("populations", "table", "`[network.populations.<name>]` tables"),
        Key("connections", "array", "`[[network.connections]]` tables"),
    ),
)
_POPULATION = Section(
    "network.populations",
    "named",
    "A node population to build: `n` point neurons of one model, or virtual spike sources.",
    (
        Key("n", "int", "number of nodes", REQUIRED, reference=True, minimum=1),
        Key(
            "model",
            "str",
            'NEST model name (`iaf_psc_exp`, ...) or `"virtual"`',
            "iaf_psc_exp",
            reference=True,
        ),
        Key("params", "numbers", "model parameters, NEST names and units (values may be references)", {}),
        Key("initial_v", "range", "initial membrane potential, uniform in [low, high] mV", reference=True),
        Key("properties", "table", "extra node properties (one value for every node)", {}),
    ),
)
_CONNECTION = Section(
    "network.connections",
    "array",
    "Edges from one population to one or more populations by a connection rule.",
    (
        Key("source", "str", "source population", REQUIRED),
        Key("target", "names", "target population(s)", REQUIRED),
        Key(
            "rule",
            "choice",
            "connection rule",
            "fixed_probability",
            reference=True,
            choices=("fixed_probability", "fixed_indegree", "fixed_outdegree", "all_to_all"),
        ),
        _f(
            "p",
            "connection probability (fixed_probability)",
            reference=True,
            minimum=0,
            strict=True,
            maximum=1,
        ),
        Key("k", "int", "in- or out-degree (fixed_indegree, fixed_outdegree)", reference=True, minimum=1),
        _f("weight", "synaptic weight (pA for psc models, nS for cond models)", REQUIRED, reference=True),
        _f("delay", "synaptic delay (ms)", REQUIRED, reference=True, minimum=0),
        Key("autapses", "bool", "allow self-connections", False, reference=True),
    ),
)
_SIMULATION = Section(
    "simulation",
    "table",
    "How each run is simulated.",
    (
        Key(
            "simulator",
            "choice",
            "simulator (neuron: circuits of NEURON point processes)",
            "brian2",
            reference=True,
            choices=("brian2", "nest", "neuron"),
        ),
        _f("duration", "simulated time (ms)", 1000.0, reference=True, minimum=0, strict=True),
        _f("dt", "time step (ms)", 0.1, reference=True, minimum=0, strict=True),
        Key("target", "choice", "Brian2 code generation", "auto", choices=("auto", "cython", "numpy")),
        Key("threads", "int", "NEST threads", 1, minimum=1),
        Key(
            "weight_scale",
            "numbers",
            "edge or source population -> weight factor (values may be references)",
            {},
        ),
        Key("record", "table", "population -> [variables] or { variable = [node ids] }", {}),
        _f("record_dt", "sampling interval of recorded signals (ms)", reference=True, minimum=0, strict=True),
    ),
)
_INPUTS = Section(
    "inputs",
    "array",
    "Inputs of every run, one table each (`type` says which keys apply).",
    (
        Key("type", "choice", "kind of input", REQUIRED, choices=INPUT_TYPES),
        Key("population", "str", "population the input drives", REQUIRED),
        _f("rate", "Poisson rate (Hz)", reference=True, minimum=0, only=("poisson",)),
        Key("node_ids", "ids", "nodes driven (default all)", only=("poisson", "current_clamp")),
        _f("start", "start of the input (ms)", reference=True, minimum=0, only=("poisson",)),
        _f("stop", "end of the input (ms)", reference=True, minimum=0, only=("poisson",)),
        _f(
            "release_prob",
            "release probability",
            reference=True,
            minimum=0,
            maximum=1,
            only=("poisson", "spikes"),
        ),
        Key("path", "str", "SONATA spikes file (relative to the study file)", only=("spikes",)),
        Key("source_population", "str", "population in the spikes file", only=("spikes",)),
        _f("amplitude", "current (pA)", reference=True, only=("current_clamp",)),
        _f("delay", "onset (ms)", reference=True, minimum=0, only=("current_clamp",)),
        _f("duration", "length (ms)", reference=True, minimum=0, strict=True, only=("current_clamp",)),
    ),
)
_ANALYSIS = Section(
    "analysis",
    "table",
    "The per-run statistics (`rate_<pop>`, `cv_<pop>`, `fano_<pop>`) saved by every run.",
    (
        _f("t_start", "start of the analysis window (ms)", 0.0, reference=True, minimum=0),
        _f(
            "t_stop",
            "end of the window (ms; default the duration); > t_start",
            reference=True,
            minimum=0,
            strict=True,
        ),
        _f("bin_size", "PSTH bin (ms)", 5.0, reference=True, minimum=0, strict=True),
        _f(
            "fano_window",
            "count window of the Fano factor (ms)",
            50.0,
            reference=True,
            minimum=0,
            strict=True,
        ),
    ),
)
_REPORT = Section(
    "report",
    "table",
    "What `report.html` shows.",
    (
        Key("runs", "int", "runs shown with a raster and a PSTH", minimum=1),
        Key("populations", "names", "populations shown (default all)"),
    ),
)
_SIM_CONFIG = Section(
    "simulation_config",
    "table",
    "Values of the `[network] simulation_config` to override per run, as dotted paths into the config "
    "(values may be references): `run.tstop`, `run.dt`, `inputs.<input>.<key>`, `conditions.<key>`, "
    "`node_types.<population>.<model parameter>` (every node of the population), "
    "`edge_types.<edge population>.syn_weight` or `.delay` (every edge of the population). "
    "Each run simulates the config with its overrides (`neuroloom.sim.run_config`) on `[simulation] "
    "simulator` if given, else on the config's `target_simulator`: the run's copy of the config "
    "(`simulation_config.json`) and the config's outputs (`output/`: spikes, reports, log) go to the run "
    "folder, and its spikes are the run's recordings (rates, CV and Fano factor as for any study). "
    "A misspelt input, population or parameter is refused before any run.",
    free=True,
)

SECTIONS: tuple[Section, ...] = (
    _STUDY,
    _PARAMS,
    _EXPLORE,
    _NETWORK,
    _POPULATION,
    _CONNECTION,
    _SIMULATION,
    _INPUTS,
    _ANALYSIS,
    _REPORT,
    _SIM_CONFIG,
)
TOP_LEVEL = (
    "study",
    "params",
    "explore",
    "network",
    "simulation",
    "inputs",
    "analysis",
    "report",
    "simulation_config",
)


def section(name: str) -> Section:
    """The schema of section ``name``."""
    return next(s for s in SECTIONS if s.name == name)


def is_reference(value: Any) -> bool:
    """Whether ``value`` is a ``"$name"`` parameter reference."""
    return isinstance(value, str) and value.startswith("$") and len(value) > 1


def _fail(where: str, key: str, value: Any, need: str) -> StudyFileError:
    return StudyFileError(f"{where} {key} = {value!r}: {need}")


def _number(key: Key, value: Any, where: str) -> float | int:
    ok_int = isinstance(value, int) and not isinstance(value, bool)
    if key.kind == "int" and not ok_int:
        raise _fail(
            where, key.name, value, "give an integer" + (' or a reference "$name"' if key.reference else "")
        )
    if not ok_int and not (isinstance(value, float) and math.isfinite(value)):
        raise _fail(
            where, key.name, value, "give a number" + (' or a reference "$name"' if key.reference else "")
        )
    low, high = key.minimum, key.maximum
    if low is not None and (value < low or (key.strict and value == low)):
        raise _fail(where, key.name, value, f"must be {'>' if key.strict else '>='} {low:g}")
    if high is not None and value > high:
        raise _fail(where, key.name, value, f"must be <= {high:g}")
    return int(value) if key.kind == "int" else float(value)


def _numbers(key: Key, value: Any, where: str, params: set[str] | None) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, key.name, value, "give a table: name = number")
    out: dict[str, Any] = {}
    for name, item in value.items():
        element = Key(f"{key.name}.{name}", "float", "", reference=True)
        out[str(name)] = (
            _reference(element, item, where, params) if is_reference(item) else _number(element, item, where)
        )
    return out


def _reference(key: Key, value: str, where: str, params: set[str] | None) -> str:
    if params is not None and value[1:] not in params:
        raise _fail(
            where,
            key.name,
            value,
            f"names no parameter; add {value[1:]!r} to [params] (parameters: {sorted(params)})",
        )
    return value


def _structured(key: Key, value: Any, where: str) -> Any:
    kind = key.kind
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "choice" and isinstance(value, str) and value in key.choices:
        return value
    if kind == "names" and isinstance(value, str):
        return value
    if kind == "names" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    if (
        kind == "ids"
        and isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        return list(value)
    if kind == "range" and isinstance(value, list) and len(value) == 2:
        low, high = (_number(Key(key.name, "float", ""), v, where) for v in value)
        if low < high:
            return [low, high]
        raise _fail(where, key.name, value, "give [low, high] with low < high")
    if kind == "table" and isinstance(value, Mapping):
        return dict(value)
    if kind == "array" and isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return list(value)
    raise _fail(where, key.name, value, f"give {key.type_text()}")


def check_value(key: Key, value: Any, where: str, params: set[str] | None = None) -> Any:
    """``value`` checked (and normalised: ints of float keys become floats) against ``key``.

    ``params`` (names of the study's parameters, or None when unknown) checks references.
    """
    if key.reference and is_reference(value):
        return _reference(key, value, where, params)
    if key.kind in ("int", "float"):
        return _number(key, value, where)
    if key.kind == "numbers":
        return _numbers(key, value, where, params)
    return _structured(key, value, where)


def check_section(
    data: Any, sec: Section, where: str, params: set[str] | None = None, *, only: str | None = None
) -> dict[str, Any]:
    """The keys of one section checked, defaults filled in (keys without a default stay absent).

    ``where`` is ``"<file>: [<section>]"``; ``only`` (an input type) limits the allowed keys.
    """
    if not isinstance(data, Mapping):
        raise StudyFileError(f"{where} must be a table of keys, got {type(data).__name__}")
    keys = [k for k in sec.keys if only is None or not k.only or only in k.only]
    allowed = {k.name for k in keys}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise StudyFileError(f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
    out: dict[str, Any] = {}
    for key in keys:
        if key.name in data:
            out[key.name] = check_value(key, data[key.name], where, params)
        elif key.required:
            raise StudyFileError(f"{where} needs {key.name} ({key.doc})")
        elif key.default is not None and key.default != "<file stem>":
            out[key.name] = key.default
    return out


def render_markdown() -> str:
    """``docs/study-file.md``: every section and key of the schema."""
    lines = [
        "# The study file",
        "",
        "<!-- generated from src/neuroloom/studyfile/schema.py by `neuroloom study-file-docs`; "
        "do not edit -->",
        "",
        "A study file (TOML, YAML or JSON) describes a whole study: `neuroloom run STUDY.toml`. "
        "Unknown sections and keys are errors naming the file, the section and the allowed keys. "
        'A key marked *ref* may be a reference `"$name"` to a run parameter, resolved once per run.',
        "",
    ]
    for sec in SECTIONS:
        lines += [f"## `{sec.header()}`", "", sec.doc, ""]
        if not sec.keys:
            continue
        lines += ["| key | type | default | ref | meaning |", "|---|---|---|---|---|"]
        for key in sec.keys:
            default = "" if key.default is None else (key.default if key.required else f"`{key.default!r}`")
            doc = (key.doc + (f" (type {', '.join(key.only)})" if key.only else "")).replace("|", "\\|")
            ref = "yes" if key.reference else ""
            lines.append(f"| `{key.name}` | {key.type_text()} | {default} | {ref} | {doc} |")
        lines.append("")
    return "\n".join(lines)
