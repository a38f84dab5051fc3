"""Per-run tables read across runs: ``view.table("synapse_activation")``.

A job records a per-run table with ``run.record_table(name, frame)``; the ISF
importer records synapse and presynaptic cell activations the same way. The
consolidated table ``tables/table_<name>/`` holds the rows of every run with a
``run`` column; a view reads the rows of its runs and adds their parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from neuroloom.datastore.consolidate import load_parquet, tables_dir
from neuroloom.errors import QueryError
from neuroloom.study.batches import catalog_batches
from neuroloom.study.recordings import table_kind

if TYPE_CHECKING:
    from neuroloom.study.catalog import Catalog


def read_table(
    study_path: Any,
    manifest: Mapping[str, Any],
    name: str,
    selection: pa.Table,
    params: Mapping[str, Sequence[Any]],
) -> pd.DataFrame:
    """Rows of the per-run table ``name`` for the runs of ``selection`` (+ parameter columns).

    ``params`` maps a column label (``st_<name>``) to the values of the selected runs (in
    ``selection`` order).
    """
    kind = table_kind(name)
    parts = manifest["parts"].get(kind)
    if parts is None:
        known = ", ".join(manifest.get("tables", [])) or "none"
        raise QueryError(f"table({name!r}): no run recorded a table {name!r}; recorded tables: {known}")
    wanted = selection.column("run").to_numpy()
    pieces = []
    for part in parts:
        if not len(wanted) or part["run_max"] < wanted.min() or part["run_min"] > wanted.max():
            continue
        table = load_parquet(tables_dir(study_path) / part["file"], _columns(study_path, part["file"]))
        pieces.append(table.filter(pc.is_in(table.column("run"), pa.array(wanted))))
    if not pieces:
        first = tables_dir(study_path) / parts[0]["file"] if parts else None
        table = load_parquet(first, _columns(study_path, parts[0]["file"])).slice(0, 0) if first else None
        frame = table.to_pandas() if table is not None else pd.DataFrame({"run": np.zeros(0, np.int64)})
    else:
        frame = pa.concat_tables(pieces, promote_options="permissive").to_pandas()
    pos = np.searchsorted(wanted, frame["run"].to_numpy())
    for label, values in params.items():
        frame[label] = np.asarray(values, dtype=object)[pos]
    return frame


def _columns(study_path: Any, file: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(tables_dir(study_path) / file).names)


def run_batches(catalog: Catalog, runs: Sequence[int]) -> dict[int, str]:
    """The run batch of each of ``runs`` that was stored in one (others are absent)."""
    batches = catalog_batches(catalog)
    return {int(r): batches[int(r)] for r in runs if int(r) in batches}
