"""Exploration designs: grid, zip, explicit points and random samples.

A design is a set of points, each assigning values to some parameters. It is
held column-wise (``{name: [values...]}``, all columns of equal length) so that
a million points cost a million list entries, not a million dicts.

>>> grid(**{"a": [1, 2], "b": [10, 20]}).points()      # rightmost varies fastest
[{'a': 1, 'b': 10}, {'a': 1, 'b': 20}, {'a': 2, 'b': 10}, {'a': 2, 'b': 20}]
>>> grid(zip_(a=[1, 2], b=[10, 20]), c=[0, 1]).size    # a and b linked
4
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from neuroloom.errors import ExplorationError
from neuroloom.params.tree import check_name


class Design:
    """Points of a parameter exploration, stored column-wise.

    Parameters
    ----------
    columns
        ``{parameter name: values}``, every list of the same length.
    description
        JSON-compatible summary kept in ``neuroloom.json``.
    """

    def __init__(self, columns: Mapping[str, list[Any]], description: dict[str, Any]) -> None:
        lengths = {name: len(v) for name, v in columns.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{n!r} has {k}" for n, k in lengths.items())
            raise ExplorationError(f"{description.get('kind', 'exploration')}: unequal lengths ({detail})")
        self.columns: dict[str, list[Any]] = dict(columns)
        self.description = description
        self.size = next(iter(lengths.values()), 0)

    @property
    def names(self) -> list[str]:
        """Names of the explored parameters."""
        return list(self.columns)

    def points(self) -> list[dict[str, Any]]:
        """The points as a list of ``{name: value}`` dicts (small designs only)."""
        names = self.names
        return [dict(zip(names, row)) for row in zip(*(self.columns[n] for n in names))]

    def __len__(self) -> int:
        return self.size

    def __add__(self, other: Design) -> Design:
        """Concatenate two designs over the same parameters."""
        if set(self.names) != set(other.names):
            raise ExplorationError(
                f"cannot concatenate designs over {sorted(self.names)} and {sorted(other.names)}"
            )
        cols = {n: self.columns[n] + other.columns[n] for n in self.names}
        return Design(cols, {"kind": "concat", "parts": [self.description, other.description]})

    def __repr__(self) -> str:
        return f"Design({self.description.get('kind')}, {self.size} points over {self.names})"


def _values(name: str, values: object) -> list[Any]:
    check_name(name)
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ExplorationError(
            f"parameter {name!r}: the values to explore must be a list, range or array, "
            f"not a {type(values).__name__} (write [{values!r}] for a single value)"
        )
    if isinstance(values, np.ndarray):
        return list(values) if values.ndim > 1 else values.tolist()
    return list(values)


def _summary(values: list[Any]) -> Any:
    from neuroloom.params.values import encode

    try:
        return [encode(v) for v in values] if len(values) <= 1000 else f"{len(values)} values"
    except TypeError:
        return f"{len(values)} values"


def zip_(**ranges: Iterable[Any]) -> Design:
    """Points that vary all parameters together: the i-th point takes the i-th value of each.

    Raises
    ------
    ExplorationError
        If the ranges do not all have the same length.
    """
    cols = {name: _values(name, v) for name, v in ranges.items()}
    return Design(cols, {"kind": "zip", "ranges": {n: _summary(v) for n, v in cols.items()}})


def grid(*linked: Design, **ranges: Iterable[Any]) -> Design:
    """Cartesian product of the ranges; the rightmost parameter varies fastest.

    Parameters
    ----------
    *linked
        Designs whose points form one axis, e.g. ``zip_(a=..., b=...)`` to make
        ``a`` and ``b`` vary together (pypet's ``combined_parameters``). They
        come before the keyword axes.
    **ranges
        ``name=values`` for each independent axis. Dotted names need
        ``grid(**{"neuron.tau_m": [...]})``.
    """
    axes: list[Design] = [*linked]
    for name, values in ranges.items():
        axes.append(Design({name: _values(name, values)}, {}))
    seen: set[str] = set()
    for axis in axes:
        dup = seen.intersection(axis.names)
        if dup:
            raise ExplorationError(f"grid: parameter {sorted(dup)[0]!r} appears on two axes")
        seen.update(axis.names)
    lengths = [a.size for a in axes]
    total = int(np.prod(lengths, dtype=np.int64)) if axes else 0
    cols: dict[str, list[Any]] = {}
    stride = total
    for axis, length in zip(axes, lengths):
        stride = stride // length if length else 0
        idx = ((np.arange(total, dtype=np.int64) // max(stride, 1)) % max(length, 1)).tolist()
        for name, values in axis.columns.items():
            cols[name] = [values[i] for i in idx]
    desc = {
        "kind": "grid",
        "axes": [{n: _summary(v) for n, v in a.columns.items()} for a in axes],
    }
    return Design(cols, desc)


def points(items: Sequence[Mapping[str, Any]]) -> Design:
    """An explicit list of points, each a ``{name: value}`` mapping with the same names."""
    items = list(items)
    if not items:
        return Design({}, {"kind": "points", "count": 0})
    names = list(items[0])
    cols: dict[str, list[Any]] = {check_name(n): [] for n in names}
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ExplorationError(f"point {i} is a {type(item).__name__}, not a mapping of names to values")
        if set(item) != set(names):
            raise ExplorationError(
                f"point {i} sets {sorted(item)}, but point 0 sets {sorted(names)}; every point "
                "must set the same parameters"
            )
        for n in names:
            cols[n].append(item[n])
    return Design(cols, {"kind": "points", "count": len(items)})


Distribution = tuple[float, float] | Sequence[Any] | Callable[[np.random.Generator, int], Any] | Any


def random(n: int, seed: int | None = None, **distributions: Distribution) -> Design:
    """``n`` random points, reproducible from ``seed``.

    Each distribution is one of: ``(low, high)`` (uniform floats), a list
    (uniform choice among its values), a callable ``f(rng, n)`` returning
    ``n`` values, or a scipy.stats frozen distribution (anything with ``rvs``).
    Parameters are drawn in sorted-name order, so a point does not depend on
    the order of the keywords.
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ExplorationError(f"random: n must be a non-negative integer, not {n!r}")
    rng = np.random.default_rng(seed)
    cols: dict[str, list[Any]] = {}
    summary: dict[str, Any] = {}
    for name in sorted(distributions):
        check_name(name)
        dist = distributions[name]
        if isinstance(dist, tuple) and len(dist) == 2 and all(isinstance(x, (int, float)) for x in dist):
            lo, hi = float(dist[0]), float(dist[1])
            if not lo <= hi:
                raise ExplorationError(f"random: parameter {name!r}: low {lo} is above high {hi}")
            drawn: Any = rng.uniform(lo, hi, int(n))
            summary[name] = {"uniform": [lo, hi]}
        elif isinstance(dist, list):
            if not dist:
                raise ExplorationError(f"random: parameter {name!r}: the list of choices is empty")
            picks = rng.integers(0, len(dist), int(n))
            drawn = [dist[i] for i in picks.tolist()]
            summary[name] = {"choice": _summary(dist)}
        elif hasattr(dist, "rvs"):
            drawn = dist.rvs(size=int(n), random_state=rng)  # type: ignore[union-attr]
            summary[name] = {"scipy": repr(dist)}
        elif callable(dist):
            drawn = dist(rng, int(n))
            summary[name] = {"callable": getattr(dist, "__name__", repr(dist))}
        else:
            raise ExplorationError(
                f"random: parameter {name!r}: {dist!r} is not a distribution; give (low, high), a "
                "list of choices, a scipy.stats distribution or a function f(rng, n)"
            )
        values = drawn.tolist() if isinstance(drawn, np.ndarray) else list(drawn)
        if len(values) != n:
            raise ExplorationError(
                f"random: parameter {name!r}: the distribution gave {len(values)} values, not {n}"
            )
        cols[name] = values
    return Design(cols, {"kind": "random", "n": int(n), "seed": seed, "distributions": summary})


def as_design(spec: object) -> Design:
    """Turn what :meth:`Study.explore` accepts into a :class:`Design`.

    A :class:`Design`; a dict of equal-length lists (zipped, as pypet's
    ``f_explore``); or a list of ``{name: value}`` points.
    """
    if isinstance(spec, Design):
        return spec
    if isinstance(spec, Mapping):
        return zip_(**spec)
    if isinstance(spec, (list, tuple)):
        return points(spec)
    raise ExplorationError(
        f"cannot explore a {type(spec).__name__}; give nl.grid(...), nl.zip_(...), nl.random(...), "
        "a dict of equal-length lists, or a list of {name: value} points"
    )
