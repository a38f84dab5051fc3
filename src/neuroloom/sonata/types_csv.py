"""Node and edge types tables: space-separated CSV, ``NULL`` for missing values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import SonataFormatError


def read_types(path: str | Path, id_column: str) -> pd.DataFrame:
    """Read a node or edge types table, indexed by ``id_column``.

    Parameters
    ----------
    path
        The CSV file (``node_types.csv`` / ``edge_types.csv``).
    id_column
        ``"node_type_id"`` or ``"edge_type_id"``.
    """
    path = Path(path)
    if not path.is_file():
        raise SonataFormatError(f"{path}: types file not found; check the config")
    try:
        table = _parse(path.read_text(encoding="utf-8"))
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise SonataFormatError(f"{path}: cannot parse the types table ({exc})") from None
    if id_column not in table.columns:
        raise SonataFormatError(f"{path}: missing column {id_column!r} (columns: {list(table.columns)})")
    if table[id_column].duplicated().any():
        raise SonataFormatError(f"{path}: {id_column} values must be unique")
    return table.set_index(id_column)


def by_type(column: pd.Series, type_ids: np.ndarray) -> np.ndarray:
    """``column.reindex(type_ids).to_numpy()``: a types table column's value for each node or edge.

    Small non-negative integer type ids (the usual case) go through a lookup
    table, one vectorised take, instead of a hash lookup per element.
    """
    index = column.index.to_numpy()
    ids = np.asarray(type_ids)
    if ids.size and index.size and index.dtype.kind in "iu" and ids.dtype.kind in "iu":
        top = max(int(index.max()), int(ids.max()))
        if int(index.min()) >= 0 and int(ids.min()) >= 0 and top < 1 << 20:
            where = np.full(top + 1, -1, np.int64)
            where[index] = np.arange(index.size)
            rows = where[ids]
            if rows.size and int(rows.min()) >= 0:  # every type known (else reindex gives NaN)
                return np.asarray(column.to_numpy()[rows])
    return np.asarray(column.reindex(ids).to_numpy())


def _fields(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=" ", quotechar='"', doublequote=True))


def _parse(text: str) -> pd.DataFrame:
    """Space-separated columns, ``"..."`` quoting a value with spaces.

    bmtk writes one space between fields and nothing for a property set to
    ``None`` (two spaces in a row, read as missing as bmtk's
    ``pd.read_csv(sep=' ')`` does); a file whose rows do not split that way
    into the header's columns is aligned by hand, and runs of spaces count as
    one. A file separated by tabs is split on any whitespace.
    """
    lines = [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]
    if any("\t" in line for line in lines):
        return pd.read_csv(
            io.StringIO("\n".join(line.rstrip() for line in lines)),
            sep=r"\s+",
            engine="python",
            na_values=["NULL"],
            keep_default_na=False,
        )
    header = _fields(lines[0]) if lines else []
    if header and "" not in header and all(len(_fields(line)) == len(header) for line in lines[1:]):
        return pd.read_csv(
            io.StringIO("\n".join(lines)), sep=" ", na_values=["NULL", ""], keep_default_na=False
        )
    return pd.read_csv(
        io.StringIO("\n".join(line.rstrip() for line in lines)),
        sep=" ",
        skipinitialspace=True,
        na_values=["NULL"],
        keep_default_na=False,
    )


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "NULL"
    text = str(value)
    if not text or any(c.isspace() for c in text) or '"' in text:
        text = '"' + text.replace('"', '""') + '"'
    return text


def write_types(path: str | Path, table: pd.DataFrame, id_column: str) -> None:
    """Write a types table atomically (``id_column`` first, ``NULL`` for missing)."""
    frame = table.reset_index() if table.index.name == id_column else table
    if id_column not in frame.columns:
        raise SonataFormatError(f"types table for {path} has no {id_column!r} column")
    columns = [id_column] + [c for c in frame.columns if c != id_column]
    out = io.StringIO()
    out.write(" ".join(columns) + "\n")
    for row in frame[columns].itertuples(index=False):
        out.write(" ".join(_cell(v) for v in row) + "\n")
    write_bytes(Path(path), out.getvalue().encode())
