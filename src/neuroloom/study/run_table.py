"""Tables over a study's runs and results (pandas), built with one query each."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroloom._io.names import TABLES_DIR as TABLES_DIR  # re-exported
from neuroloom.errors import ParameterError
from neuroloom.params.tree import resolve_keyword
from neuroloom.params.units import join
from neuroloom.params.values import decode
from neuroloom.study.run import run_name
from neuroloom.study.worker import converter_for

if TYPE_CHECKING:
    from neuroloom.store.database import Database


class LazyItem:
    """A result stored as an item of a run (its folder or its archive); :meth:`load` reads it.

    ``store`` is the study's item store, which serves the run keys ``runs/<run>/<name>``.
    """

    __slots__ = ("codec", "index", "name", "store")

    def __init__(self, store: Database, index: int, name: str, codec: str) -> None:
        self.store = store
        self.index = index
        self.name = name
        self.codec = codec

    def load(self, **options: Any) -> Any:
        """Read the value (codec options as for ``Database.get``); a quantity gets its unit back."""
        key = ("runs", run_name(self.index), self.name)
        value = self.store.get(key, **options)
        if self.codec in ("npy", "npz", "json"):
            meta = self.store.metadata(key)["meta"]
            if meta.get("library"):
                value = join(np.asarray(value), meta.get("unit", ""), meta["library"])
            elif meta.get("encoded"):
                value = decode(value)
        return value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        options = {"mmap": False} if self.codec == "npy" else {}
        return np.asarray(self.load(**options), dtype=dtype)

    def __repr__(self) -> str:
        return f"<{self.codec} item {self.name!r} of {run_name(self.index)}>"


class RunTable(pd.DataFrame):
    """``study.runs``: a DataFrame of runs with a ``where(**values)`` filter."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> Callable[..., RunTable]:
        return RunTable

    def where(self, cond: Any = None, other: Any = np.nan, *args: Any, **values: Any) -> Any:  # type: ignore[override]
        """Rows whose columns equal the given values (a list means any of them).

        ``runs.where(x=2, y=[1, 3])``; dotted names: ``runs.where(**{"input.rate": 5})``.
        With a boolean ``cond`` it is pandas' ``DataFrame.where``.
        """
        if cond is not None:
            return super().where(cond, other, *args, **values)
        mask = np.ones(len(self), dtype=bool)
        for name, wanted in values.items():
            if name not in self.columns:
                raise ParameterError(
                    f"runs.where: no column {name!r}; columns are {', '.join(map(str, self.columns))}"
                )
            column = self[name]
            if isinstance(wanted, (list, tuple, set, np.ndarray)):
                mask &= column.isin(list(wanted)).to_numpy()
            else:
                mask &= (column == wanted).to_numpy()
        return self[mask]


def decode_params(frame: pd.DataFrame, names: Sequence[str], defaults: dict[str, Any]) -> None:
    """Turn catalog columns into parameter values in place (NULL -> default)."""
    for name in names:
        default = defaults[name]
        column = frame[name]
        conv = converter_for(default)
        has_null = column.isna().any()
        if conv is None and not has_null:
            continue
        values = column.astype(object).where(column.notna(), None).tolist()  # NULL (NaN here) -> None
        if type(default) is int:
            conv = int  # pandas made the column float to hold NULL
        out = [default if v is None else (conv(v) if conv is not None else v) for v in values]
        series = pd.Series(out, index=frame.index)
        if isinstance(default, (bool, int, float, str)) and not isinstance(default, np.generic):
            series = series.infer_objects()
        frame[name] = series


def decode_scalar(kind: str, value: Any) -> Any:
    """A result value as the catalog holds it (kind ``v`` native, ``b`` bool, ``j`` JSON)."""
    if kind == "b":
        return bool(value)
    if kind == "j":
        return decode(json.loads(value))
    return value


def decode_values(store: Database, name: str, idx: np.ndarray, kinds: np.ndarray, values: list[Any]) -> Any:
    """The result column: native scalars as they are, JSON decoded, items as handles on ``store``."""
    unique = set(kinds.tolist()) if len(kinds) else {"v"}
    if unique == {"v"}:
        return values
    return [
        decode_scalar(kind, value) if kind in ("v", "b", "j") else LazyItem(store, i, name, str(value))
        for i, kind, value in zip(idx.tolist(), kinds.tolist(), values)
    ]


def find_indices(frame: pd.DataFrame, fn: Callable[..., Any], names: Sequence[str] | str | None) -> list[int]:
    """Indices of the runs for which ``fn(*values)`` is true (pypet ``f_find_idx``).

    Without ``names``, the function's argument names select the parameters: an
    argument matches a parameter by full name with ``_`` for ``.``, or by a
    unique suffix (the one naming rule, :func:`neuroloom.params.tree.resolve`).
    """
    columns = [c for c in frame.columns if c not in RESERVED]
    if isinstance(names, str):  # one name, as pypet's f_find_idx('x', lambda x: ...)
        names = [names]
    wanted = list(inspect.signature(fn).parameters) if names is None else list(names)
    try:
        names = [resolve_keyword(arg, columns, "explored parameter") for arg in wanted]
    except ParameterError as exc:
        raise ParameterError(
            f"find: {exc}; explored parameters: {', '.join(columns)}; name them with names=[...]"
        ) from None
    cols = [frame[n].tolist() for n in names]
    index = frame.index.tolist()
    return [i for i, row in zip(index, zip(*cols)) if fn(*row)]


CACHE_MIN_ROWS = 50_000
_VERSION_KEY = b"neuroloom.results_version"


def read_cached_table(path: Path, version: int) -> pd.DataFrame | None:
    """The Parquet copy of a results table if it was built at ``version``, else None."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None
    if meta.get(_VERSION_KEY) != str(version).encode():
        return None
    try:
        frame: pd.DataFrame = pq.read_table(path).to_pandas()
    except (OSError, ValueError):
        return None
    return frame


def write_cached_table(path: Path, frame: pd.DataFrame, version: int) -> None:
    """Keep ``frame`` as Parquet (atomically); silently skipped if it cannot be."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from neuroloom._io.atomic import tmp_name

    try:
        table = pa.Table.from_pandas(frame)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _VERSION_KEY: str(version)})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(tmp_name(".parquet"))
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except (OSError, ValueError, TypeError, pa.ArrowException):
        return


RESERVED = ("name", "id", "status", "start", "end", "duration", "host", "pid", "session", "attempts", "error")
