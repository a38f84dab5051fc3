"""Filter conditions: ``name=value``, ``name=[a, b]`` (any of) and ``name__gt=5``.

Operators (suffix after a double underscore): ``eq`` (default), ``ne``, ``gt``,
``ge``, ``lt``, ``le``, ``in``. A list or tuple value means "any of" for ``eq``
and "none of" for ``ne``. Floats compare equal within a relative 1e-9, so a
value computed as ``0.1 + 0.2`` finds runs explored at ``0.3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import QueryError

OPS = ("eq", "ne", "gt", "ge", "lt", "le", "in")
RTOL = 1e-9


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        return tuple(_plain(v) for v in value)
    return value


@dataclass(frozen=True)
class Condition:
    """One condition of a filter: ``key`` (without the operator suffix), ``op``, ``value``."""

    key: str
    op: str
    value: Any

    def __str__(self) -> str:
        return f"{self.key}{'' if self.op in ('eq', 'in') else '__' + self.op}={self.value!r}"

    def mask(self, values: Any) -> np.ndarray:
        """Boolean mask of the entries of ``values`` (array-like) meeting the condition."""
        col = pd.Series(values) if not isinstance(values, pd.Series) else values
        if self.op in ("eq", "in", "ne"):
            wanted = self.value if isinstance(self.value, tuple) else (self.value,)
            hit = np.zeros(len(col), dtype=bool)
            floats = [w for w in wanted if isinstance(w, float)]
            others = [w for w in wanted if not isinstance(w, float)]
            if others:
                hit |= col.isin(others).to_numpy()
            if floats and col.dtype.kind in "iuf":
                arr = col.to_numpy(dtype=np.float64)
                for w in floats:
                    hit |= np.isclose(arr, w, rtol=RTOL, atol=0.0) | (arr == w)
            elif floats:
                hit |= col.isin(floats).to_numpy()
            return ~hit if self.op == "ne" else hit
        try:
            arr = col.to_numpy()
            with np.errstate(invalid="ignore"):
                out = {"gt": np.greater, "ge": np.greater_equal, "lt": np.less, "le": np.less_equal}[self.op](
                    arr, self.value
                )
            return np.asarray(out, dtype=bool)
        except TypeError:
            raise QueryError(
                f"filter {self}: cannot compare values of type {col.dtype} with {self.value!r}"
            ) from None

    def test(self, value: Any) -> bool:
        """Whether one value meets the condition."""
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            return bool(self.mask(pd.Series([value], dtype=object))[0])
        if isinstance(value, float) and math.isnan(value):
            return self.op == "ne"
        return bool(self.mask(pd.Series([value]))[0])


def parse(key: str, value: Any) -> Condition:
    """``("rate__gt", 5)`` -> ``Condition("rate", "gt", 5)``; lists become "any of"."""
    base, op = key, "eq"
    if "__" in key:
        head, _, tail = key.rpartition("__")
        if tail in OPS:
            base, op = head, tail
        elif tail and head:
            raise QueryError(
                f"filter {key}=...: unknown operator {tail!r}; use one of {', '.join('__' + o for o in OPS)}"
            )
    value = _plain(value)
    if op == "in":
        if not isinstance(value, tuple):
            raise QueryError(f"filter {key}: __in needs a list of values, got {value!r}")
    elif op in ("gt", "ge", "lt", "le"):
        if isinstance(value, tuple) or value is None:
            raise QueryError(f"filter {key}: {op} needs one value to compare with, got {value!r}")
    elif op == "eq" and isinstance(value, tuple):
        op = "in"
    return Condition(base, op, value)


def for_tuple_value(cond: Condition) -> Condition:
    """``cond`` for a parameter whose values are tuples: ``shape=(3, 4)`` is one value, not "any of".

    A tuple of scalars is the one wanted tuple; a list of tuples means any of them.
    """
    value = cond.value
    if cond.op not in ("eq", "in", "ne") or not isinstance(value, tuple):
        return cond
    if value and all(isinstance(v, tuple) for v in value):
        return Condition(cond.key, "ne" if cond.op == "ne" else "in", value)
    return Condition(cond.key, "ne" if cond.op == "ne" else "in", (value,))
