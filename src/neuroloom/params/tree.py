"""The parameter tree: dotted names, typed values, units and comments.

``ParamTree`` is what ``study.params`` returns; :class:`Namespace` is the
read-only view a job sees as ``run.params``. Both give attribute access
(``params.neuron.tau_m``) and dotted item access (``params["neuron.tau_m"]``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuroloom._io.config import read_config
from neuroloom._io.processes import MAIN_GUARD, spawned_import
from neuroloom.errors import ExplorationError, ParameterError
from neuroloom.params.values import check_value, coerce, decode, encode

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def check_name(name: object) -> str:
    """Validate a dotted parameter name such as ``"neuron.tau_m"``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(
            f"invalid parameter name {name!r}: use dotted Python identifiers such as 'neuron.tau_m'"
        )
    return name


def suggest(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


def group_names(names: Iterable[str]) -> frozenset[str]:
    """Every group prefix of the dotted ``names`` (``"a.b.c"`` gives ``a`` and ``a.b``)."""
    groups = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts)):
            groups.add(".".join(parts[:i]))
    return frozenset(groups)


class Namespace(Mapping[str, Any]):
    """Read-only view of parameter values with attribute and dotted access.

    Holds nothing but parameters: ``ns.neuron.tau_m``, ``ns["neuron.tau_m"]``,
    ``"neuron.tau_m" in ns``, iteration over the full names below this group.
    """

    __slots__ = ("_groups", "_prefix", "_values")

    def __init__(self, values: Mapping[str, Any], groups: frozenset[str] | None = None, prefix: str = ""):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_groups", group_names(values) if groups is None else groups)
        object.__setattr__(self, "_prefix", prefix)

    def _lookup(self, name: str) -> Any:
        full = self._prefix + name
        values = self._values
        if full in values:
            return values[full]
        if full in self._groups:
            return Namespace(values, self._groups, full + ".")
        raise ParameterError(f"unknown parameter {full!r}{suggest(full, values)}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._lookup(name)

    def __getitem__(self, name: str) -> Any:
        return self._lookup(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise ParameterError(
            f"parameter {self._prefix + name!r} is read-only inside a run; store computed "
            "values with run.derive(name, value) or run.save(name, value)"
        )

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        return (k[n:] for k in self._values if k.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (self._prefix + name) in self._values

    def __dir__(self) -> list[str]:
        n = len(self._prefix)
        return sorted({k[n:].split(".")[0] for k in self._values if k.startswith(self._prefix)})

    def __repr__(self) -> str:
        return f"Namespace({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Namespace, (dict(self._values), self._groups, self._prefix))


def check_derive_callback(name: str, fn: Any, params: Mapping[str, Any]) -> None:
    """Refuse a ``derive`` callback that cannot be called as ``fn(params)`` (see ``ParamTree.derive``)."""
    if not callable(fn):
        raise ParameterError(f"derive({name!r}, fn): fn must be callable, got {type(fn).__name__}")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to check
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    required_kw = [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    leaves = {n.rsplit(".", 1)[-1] for n in params} | {n.replace(".", "_") for n in params}
    names = [p.name for p in positional + required_kw]
    by_name = len(names) == 1 and names[0] in leaves and names[0] not in {"p", "params"}
    if (len(positional) == 1 and not required_kw and not by_name) or (variadic and not names):
        return
    args = ", ".join(names) or "()"
    body = " ... ".join(f"p.{n}" for n in names) or "p.<name>"
    raise ParameterError(
        f"derive({name!r}, fn): fn takes ({args}), but derive calls fn(params) with ONE argument, the "
        f"run's parameter namespace (study.find is the call that passes parameters by name). Write "
        f"lambda p: <expression of {body}>, e.g. lambda p: p.{names[0] if names else 'x'} * 2"
    )


@dataclass
class Param:
    """One parameter: its value, unit and comment."""

    name: str
    value: Any
    unit: str = ""
    comment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"value": encode(self.value), "unit": self.unit, "comment": self.comment}


_METHODS = frozenset(
    {"add", "load", "override", "update", "names", "info", "values", "to_dict", "locked", "derived", "derive"}
)


class ParamTree:
    """The parameters of a study (``study.params``).

    ``tree.add(name, value, unit=, comment=)`` or ``tree[name] = value`` adds or
    changes a parameter; ``tree.neuron.tau_m`` and ``tree["neuron.tau_m"]``
    read one. The tree is locked once runs have started: changing it then
    raises :class:`~neuroloom.errors.ParameterError`.
    """

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._params: dict[str, Param] = {}
        self._locked_reason: str | None = None
        self._on_change = on_change
        self._derived: dict[str, tuple[Callable[[Namespace], Any], str, str]] = {}

    # ------------------------------------------------------------- writing
    def _check_unlocked(self, name: str) -> None:
        if self._locked_reason and spawned_import():
            raise ParameterError(f"cannot change parameter {name!r}: {MAIN_GUARD}")
        if self._locked_reason:
            raise ParameterError(
                f"cannot change parameter {name!r}: the parameter tree is locked because "
                f"{self._locked_reason}; explore new values with study.explore(...) or start a "
                "new study"
            )

    def add(self, name: str, value: Any, *, unit: str = "", comment: str = "") -> None:
        """Add (or replace) parameter ``name`` with ``value``, a unit and a comment."""
        self._check_unlocked(str(name))
        self._put(name, value, unit, comment)
        if self._on_change is not None:
            self._on_change()

    def _put(self, name: str, value: Any, unit: str, comment: str) -> None:
        check_name(name)
        if name.split(".")[0] in _METHODS:
            raise ParameterError(
                f"parameter {name!r}: the top-level name {name.split('.')[0]!r} is a method of "
                "study.params; put it in a group, e.g. 'model." + name + "'"
            )
        groups = group_names(self._params)
        if name in groups:
            raise ParameterError(f"parameter {name!r}: a group of parameters already has this name")
        for prefix in group_names([name]):
            if prefix in self._params:
                raise ParameterError(f"parameter {name!r}: {prefix!r} is a parameter, not a group")
        if name in self._derived:
            raise ParameterError(f"parameter {name!r}: a derived parameter already has this name")
        check_value(name, value)
        self._params[name] = Param(name, value, str(unit), str(comment))

    def __setitem__(self, name: str, value: Any) -> None:
        old = self._params.get(name)
        self.add(name, value, unit=old.unit if old else "", comment=old.comment if old else "")

    def update(self, values: Mapping[str, Any]) -> None:
        """Set several parameters (nested dicts are flattened to dotted names)."""
        self._check_unlocked(next(iter(values), ""))
        for name, value in flatten(values).items():
            old = self._params.get(name)
            self._put(name, value, old.unit if old else "", old.comment if old else "")
        if self._on_change is not None:
            self._on_change()

    def load(self, path: str | Path, overrides: Iterable[str] = ()) -> None:
        """Add the parameters of a TOML, YAML or JSON file, then ``"a.b=value"`` overrides.

        In the file, parameters are nested tables/mappings (``[neuron] tau_m = 20.0``)
        or dotted keys; a table may hold ``value``, ``unit`` and ``comment``.
        """
        data = read_config(Path(path))
        data = data.get("params", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise ParameterError(f"{path}: the parameters must be a mapping of names to values")
        self._check_unlocked(str(path))
        for name, entry in flatten_with_units(data).items():
            self._put(name, *entry)
        self._apply(overrides)
        if self._on_change is not None:
            self._on_change()

    def override(self, overrides: Iterable[str]) -> None:
        """Apply command-line style ``"a.b=value"`` overrides (values keep the
        parameter's type: ``tau_m=20`` on a float parameter gives ``20.0``)."""
        self._check_unlocked(", ".join(overrides))
        self._apply(overrides)
        if self._on_change is not None:
            self._on_change()

    def _apply(self, overrides: Iterable[str]) -> None:
        for text in overrides:
            name, value = parse_override(text)
            old = self._params.get(name)
            if old is not None:
                try:
                    value = coerce(name, old.value, value)
                except ExplorationError as exc:
                    raise ParameterError(f"override {text!r}: {exc}") from None
            self._put(name, value, old.unit if old else "", old.comment if old else "")

    def derive(self, name: str, fn: Callable[[Namespace], Any], *, unit: str = "", comment: str = "") -> None:
        """Declare a derived parameter: ``fn(params)`` computed for each run before the
        job runs, visible as ``run.params.<name>`` and stored with the run's results.

        ``fn`` takes ONE argument, the run's parameters (``lambda p: p.x * p.y``).
        A callback written like a ``study.find`` filter, taking parameters by
        name (``lambda x, y: x * y``), is refused here, with the rewrite in the
        message, rather than failing in every run.
        """
        check_name(name)
        if name in self._params:
            raise ParameterError(f"derived parameter {name!r}: a parameter already has this name")
        check_derive_callback(name, fn, self._params)
        self._derived[name] = (fn, unit, comment)

    # ------------------------------------------------------------- reading
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return Namespace(self.values())._lookup(name)

    def __getitem__(self, name: str) -> Any:
        return Namespace(self.values())._lookup(name)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def names(self) -> list[str]:
        """Full names of every parameter, in the order they were added."""
        return list(self._params)

    def info(self, name: str) -> Param:
        """The :class:`Param` record (value, unit, comment) of ``name``."""
        try:
            return self._params[name]
        except KeyError:
            raise ParameterError(f"unknown parameter {name!r}{suggest(name, self._params)}") from None

    def values(self) -> dict[str, Any]:
        """``{full name: value}`` of every parameter."""
        return {k: p.value for k, p in self._params.items()}

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict of values (groups become dicts)."""
        out: dict[str, Any] = {}
        for name, param in self._params.items():
            node = out
            *groups, leaf = name.split(".")
            for g in groups:
                node = node.setdefault(g, {})
            node[leaf] = param.value
        return out

    @property
    def locked(self) -> bool:
        """Whether runs have started, so parameters can no longer change."""
        return self._locked_reason is not None

    @property
    def derived(self) -> dict[str, tuple[Callable[[Namespace], Any], str, str]]:
        """Derived parameters declared with :meth:`derive`: name -> (fn, unit, comment)."""
        return dict(self._derived)

    def __repr__(self) -> str:
        lines = [f"ParamTree({len(self._params)} parameters{', locked' if self.locked else ''})"]
        for p in self._params.values():
            unit = f" {p.unit}" if p.unit else ""
            comment = f"  # {p.comment}" if p.comment else ""
            lines.append(f"  {p.name} = {p.value!r}{unit}{comment}")
        return "\n".join(lines)

    # --------------------------------------------------------- persistence
    def to_json(self) -> dict[str, Any]:
        return {name: p.to_json() for name, p in self._params.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], on_change: Callable[[], None] | None = None) -> ParamTree:
        tree = cls(on_change)
        for name, entry in data.items():
            tree._params[name] = Param(
                name, decode(entry["value"]), entry.get("unit", ""), entry.get("comment", "")
            )
        return tree

    def lock(self, reason: str) -> None:
        self._locked_reason = reason


# ------------------------------------------------------------------ helpers
def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists become tuples."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def flatten_with_units(values: Mapping[str, Any], prefix: str = "") -> dict[str, tuple[Any, str, str]]:
    """Like :func:`flatten`, reading ``{value, unit, comment}`` tables as one parameter."""
    out: dict[str, tuple[Any, str, str]] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "unit", "comment"}:
            v = value["value"]
            out[name] = (
                tuple(v) if isinstance(v, list) else v,
                str(value.get("unit", "")),
                str(value.get("comment", "")),
            )
        elif isinstance(value, Mapping):
            out.update(flatten_with_units(value, name + "."))
        else:
            out[name] = (tuple(value) if isinstance(value, list) else value, "", "")
    return out


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``"neuron.tau_m=20"`` into ``("neuron.tau_m", 20)``.

    The value is read as JSON when it can be (numbers, true/false, lists,
    quoted strings); otherwise it is the plain string.
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ParameterError(f"override {text!r} is not of the form name=value (e.g. neuron.tau_m=20)")
    check_name(name)
    raw = raw.strip()
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, list):
        value = tuple(value)
    return name, value


def load_params(path: str | Path, overrides: Iterable[str] = ()) -> ParamTree:
    """Read a TOML/YAML/JSON parameter file (plus ``"a.b=value"`` overrides) into a
    :class:`ParamTree`; ``study.params.load(path)`` does the same on a study."""
    tree = ParamTree()
    tree.load(path, overrides)
    return tree
