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
from neuroloom.params.units import is_quantity, join, split
from neuroloom.params.values import check_value, coerce, decode, encode, same_value

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def check_name(name: object) -> str:
    """Validate a dotted parameter name such as ``"neuron.tau_m"``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(
            f"invalid parameter name {name!r}: use dotted Python identifiers such as 'neuron.tau_m'"
        )
    return name


def resolve(name: str, names: Iterable[str], what: str = "parameter") -> str:
    """The full name ``name`` stands for among ``names`` (the one naming rule).

    ``name`` is either a full dotted name, or a unique suffix of one on a dot
    boundary (``"R_ee"`` or ``"connections.R_ee"`` for ``"net.connections.R_ee"``),
    as pypet's natural naming allows.

    Raises
    ------
    ParameterError
        If no name matches (the message suggests close names) or the suffix
        matches several (the message lists them).
    """
    known = names if isinstance(names, (dict, set, frozenset)) else list(names)
    if name in known:
        return name
    tail = "." + name
    matches = [n for n in known if n.endswith(tail)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ParameterError(
            f"{what} name {name!r} is ambiguous: it ends {len(matches)} names "
            f"({', '.join(map(repr, sorted(matches)))}); write more of the name"
        )
    import difflib

    leaves: dict[str, list[str]] = {}
    for full in known:
        leaves.setdefault(full.rsplit(".", 1)[-1], []).append(full)
    close = difflib.get_close_matches(name, list(known), n=3)
    close += [
        f
        for leaf in difflib.get_close_matches(name.rsplit(".", 1)[-1], list(leaves), n=3)
        for f in leaves[leaf]
    ]
    close = list(dict.fromkeys(close))[:5]
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ParameterError(f"unknown {what} {name!r}{hint}")


def resolve_keyword(name: str, names: Iterable[str], what: str = "parameter") -> str:
    """:func:`resolve` for names written as Python identifiers (``filter(st_input_rate=...)``,
    ``find(lambda input_rate: ...)``): ``_`` may stand for ``.`` in a full name."""
    known = list(names)
    if name in known:
        return name
    underscored = [n for n in known if n.replace(".", "_") == name]
    if len(underscored) == 1:
        return underscored[0]
    return resolve(name, known, what)


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
        """A parameter or a group: its name relative to this group, or a unique suffix of one
        (pypet's natural naming: ``params.characters`` for the group ``starwars.characters``)."""
        full = self._prefix + name
        values = self._values
        if full in values:
            return values[full]
        if full in self._groups:
            return Namespace(values, self._groups, full + ".")
        n = len(self._prefix)
        below = [k[n:] for k in values if k.startswith(self._prefix)]
        groups = [g[n:] for g in self._groups if g.startswith(self._prefix)]
        try:
            return values[self._prefix + resolve(name, below)]
        except ParameterError as exc:
            matches = [g for g in groups if g.endswith("." + name)]
            if "ambiguous" in str(exc):
                raise
            if not matches:  # unknown: the message names full names
                resolve(full, [self._prefix + k for k in below])
                raise
        if len(matches) > 1:
            raise ParameterError(
                f"group name {name!r} is ambiguous: it ends {len(matches)} groups "
                f"({', '.join(repr(self._prefix + g) for g in sorted(matches))}); write more of the name"
            )
        return Namespace(values, self._groups, self._prefix + matches[0] + ".")

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
    library: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"value": encode(self.value), "unit": self.unit, "comment": self.comment}
        if self.library:
            out["library"] = self.library
        return out

    @property
    def quantity(self) -> Any:
        """The value as a quantity of its unit library (the plain value when it has none)."""
        return join(self.value, self.unit, self.library) if self.library else self.value

    def same(self, other: Param) -> bool:
        """Same value, unit and comment."""
        return (
            same_value(self.value, other.value)
            and self.unit == other.unit
            and self.comment == other.comment
            and self.library == other.library
        )

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        comment = f" (comment {self.comment!r})" if self.comment else ""
        return f"{self.value!r}{unit}{comment}"


_METHODS = frozenset(
    {
        "add", "load", "override", "update", "names", "info", "values", "to_dict", "locked", "derived",
        "derive", "resolve", "quantities", "plain", "preset", "check_presets",
    }
)  # fmt: skip


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
        self._presets: dict[str, Any] = {}

    # ------------------------------------------------------------- writing
    def _commit(self, params: list[Param], source: str) -> None:
        """Insert checked ``params`` all together, or none of them.

        On a locked tree, parameters equal to the stored ones (value, unit,
        comment) are accepted as a no-op, so a script can run again unchanged;
        a different or new parameter is refused, naming both values.
        """
        if self._locked_reason and params and spawned_import():  # a script re-run by a spawned worker
            raise ParameterError(f"cannot change parameter {params[0].name!r}: {MAIN_GUARD}")
        if self._locked_reason:
            for param in params:
                old = self._params.get(param.name)
                if old is not None and old.same(param):
                    continue
                was = (
                    f"it is {old.describe()}, the script now says {param.describe()}" if old else "it is new"
                )
                raise ParameterError(
                    f"cannot change parameter {param.name!r}{f' ({source})' if source else ''}: {was}; the "
                    f"parameter tree is locked because {self._locked_reason}. Explore new values with "
                    "study.explore(...), or start afresh with nl.Study(path, overwrite=True)"
                )
            return
        before = dict(self._params)
        try:
            for param in params:
                self._params[param.name] = param
                self._check_structure(param.name)
            if self._on_change is not None:
                self._on_change()
        except BaseException:
            self._params = before
            raise

    def add(self, name: str, value: Any, *, unit: str = "", comment: str = "") -> None:
        """Add (or replace) parameter ``name`` with ``value``, a unit and a comment.

        ``value`` may be a Brian2 (or ``quantities``/``pint``) quantity: it is
        kept as a number in ``unit`` (default: the quantity's own unit) and
        given back to jobs as a quantity. On a locked tree, adding the same
        value again does nothing; a different value is refused. An unstorable
        value is refused before anything changes. A value given first with
        :meth:`preset` replaces ``value``.
        """
        if name in self._presets:
            value = self._preset_value(name, value)
        self._commit([self._make(name, value, unit, comment)], "")

    def preset(self, name: str, value: Any) -> None:
        """Give parameter ``name`` the value ``value`` when it is added (pypet's ``f_preset_parameter``).

        For scripts whose function adding the parameters reads one of them to
        choose the others: ``study.params.preset("diff_name", "diff_roessler")``
        before ``add_parameters(study)``. The preset value is coerced to the type
        of the default given to :meth:`add`. A parameter already added is set at
        once. ``study.run`` refuses to start while a preset was never used.
        """
        check_name(name)
        if name in self._params:
            self[name] = value
            return
        self._presets[name] = value

    def _preset_value(self, name: str, default: Any) -> Any:
        value = self._presets.pop(name)
        if is_quantity(value) or is_quantity(default):
            return value
        try:
            return coerce(name, default, value)
        except ExplorationError as exc:
            raise ParameterError(f"preset of parameter {name!r}: {exc}") from None

    def check_presets(self) -> None:
        """Raise :class:`~neuroloom.errors.ParameterError` if a :meth:`preset` value was never used."""
        if self._presets:
            names = ", ".join(map(repr, sorted(self._presets)))
            raise ParameterError(
                f"parameter(s) {names} were preset but never added; add them with "
                "study.params.add(name, default) (or check the spelling of the preset name)"
            )

    def _make(self, name: str, value: Any, unit: str, comment: str, library: str = "") -> Param:
        """A checked :class:`Param` (nothing is changed)."""
        check_name(name)
        if name.split(".")[0] in _METHODS:
            raise ParameterError(
                f"parameter {name!r}: the top-level name {name.split('.')[0]!r} is a method of "
                "study.params; put it in a group, e.g. 'model." + name + "'"
            )
        if name in self._derived:
            raise ParameterError(f"parameter {name!r}: a derived parameter already has this name")
        if is_quantity(value):
            value, unit, library = split(value, str(unit))
        check_value(name, value)
        try:
            json.dumps(encode(value))
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"parameter {name!r}: the value {value!r} cannot be stored: {exc}") from None
        return Param(name, value, str(unit), str(comment), library)

    def _check_structure(self, name: str) -> None:
        for prefix in group_names([name]):
            if prefix in self._params:
                raise ParameterError(f"parameter {name!r}: {prefix!r} is a parameter, not a group")
        if any(other.startswith(name + ".") for other in self._params):
            raise ParameterError(f"parameter {name!r}: a group of parameters already has this name")

    def _put(self, name: str, value: Any, unit: str, comment: str, library: str = "") -> None:
        param = self._make(name, value, unit, comment, library)
        before = dict(self._params)
        self._params[name] = param
        try:
            self._check_structure(name)
        except ParameterError:
            self._params = before
            raise

    def _kept(self, name: str, value: Any) -> Param:
        old = self._params.get(name)
        if old is None:
            return self._make(name, value, "", "")
        return self._make(name, value, old.unit, old.comment, old.library)

    def __setitem__(self, name: str, value: Any) -> None:
        self._commit([self._kept(name, value)], "")

    def update(self, values: Mapping[str, Any]) -> None:
        """Set several parameters (nested dicts are flattened to dotted names); all or none."""
        self._commit([self._kept(name, value) for name, value in flatten(values).items()], "")

    def load(self, path: str | Path, overrides: Iterable[str] = ()) -> None:
        """Add the parameters of a TOML, YAML or JSON file, then ``"a.b=value"`` overrides.

        In the file, parameters are nested tables/mappings (``[neuron] tau_m = 20.0``)
        or dotted keys; a table may hold ``value``, ``unit`` and ``comment``.
        """
        data = read_config(Path(path))
        data = data.get("params", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise ParameterError(f"{path}: the parameters must be a mapping of names to values")
        made = {name: self._make(name, *entry) for name, entry in flatten_with_units(data).items()}
        made.update({p.name: p for p in self._overridden(overrides, made)})
        self._commit(list(made.values()), str(path))

    def override(self, overrides: Iterable[str]) -> None:
        """Apply command-line style ``"a.b=value"`` overrides (values keep the
        parameter's type: ``tau_m=20`` on a float parameter gives ``20.0``)."""
        self._commit(self._overridden(overrides, self._params), ", ".join(overrides))

    def _overridden(self, overrides: Iterable[str], current: Mapping[str, Param]) -> list[Param]:
        out = []
        for text in overrides:
            name, value = parse_override(text)
            old = current.get(name)
            if old is not None:
                try:
                    value = coerce(name, old.value, value)
                except ExplorationError as exc:
                    raise ParameterError(f"override {text!r}: {exc}") from None
            out.append(
                self._make(name, value, old.unit, old.comment, old.library)
                if old
                else self._make(name, value, "", "")
            )
        return out

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
        return Namespace(self.quantities())._lookup(name)

    def __getitem__(self, name: str) -> Any:
        return Namespace(self.quantities())._lookup(name)

    def resolve(self, name: str) -> str:
        """The full name of parameter ``name`` (full dotted name or a unique suffix; see :func:`resolve`)."""
        return resolve(name, self._params)

    def quantities(self) -> dict[str, Any]:
        """``{full name: value}`` with quantities for parameters given as quantities."""
        return {k: p.quantity for k, p in self._params.items()}

    def plain(self, name: str, value: Any) -> Any:
        """``value`` for parameter ``name`` as stored: a quantity becomes a number in the parameter's unit.

        Raises
        ------
        ParameterError
            If ``value`` is a quantity and the parameter has no unit, or a unit
            of another dimension.
        """
        if not is_quantity(value):
            return value
        param = self.info(name)
        if not param.unit:
            raise ParameterError(
                f"parameter {name!r} has no unit; the value {value!r} is a quantity: give plain numbers, or "
                "declare the parameter with a quantity"
            )
        try:
            return split(value, param.unit).magnitude
        except Exception as exc:
            raise ParameterError(f"parameter {name!r} is in {param.unit}; {value!r} is not: {exc}") from None

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
        """The :class:`Param` record (value, unit, comment) of ``name`` (a full name or unique suffix)."""
        return self._params[resolve(name, self._params)]

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
                name,
                decode(entry["value"]),
                entry.get("unit", ""),
                entry.get("comment", ""),
                entry.get("library", ""),
            )
        return tree

    def lock(self, reason: str) -> None:
        """Refuse every later change of a value, giving ``reason`` in the error."""
        self._locked_reason = reason

    def replace_all(self, other: ParamTree) -> None:
        """Add or replace every parameter of ``other`` here (value, unit, comment, library).

        Each is checked as :meth:`add` checks it; nothing is saved (the owner of
        the tree saves once afterwards).
        """
        for name in other:
            info = other.info(name)
            self._put(name, info.value, info.unit, info.comment, info.library)


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
