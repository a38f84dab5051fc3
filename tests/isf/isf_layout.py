"""Write ISF databases the way ISF's LoaderDumper modules lay them out (without ISF)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PREFIX = "data_base.isf_data_base.IO.LoaderDumper."


def new_db(path: Path) -> Path:
    """An empty ISFDataBase directory (``db_state.json``)."""
    path.mkdir(parents=True)
    state = {
        "_registeredDumpers": [PREFIX + "to_cloudpickle"],
        "_unique_id": "2024-01-01_1_abc",
        "_registered_to_path": str(path),
    }
    (path / "db_state.json").write_text(json.dumps(state))
    return path


def new_key(db: Path, key: str, dumper: str, **loader_args: Any) -> Path:
    """A key folder with ``Loader.json`` and ``metadata.json``; returns the folder."""
    folder = db / key
    folder.mkdir()
    (folder / "Loader.json").write_text(json.dumps({"Loader": PREFIX + dumper, **loader_args}))
    meta = {
        "dumper": dumper,
        "time": [2024, 5, 6, 16, 38, 5, 0, 127, -1],
        "metadata_creation_time": "together_with_new_key",
        "version": "0.4.0",
    }
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def object_meta(frame: Any) -> dict[str, Any]:
    """ISF's ``object_meta.json`` for a pandas frame (see LoaderDumper.utils.save_object_meta)."""
    import numpy as np

    def dtype_of(label: object) -> str:
        return f"<U{len(label)}" if isinstance(label, str) else str(np.dtype(type(label)))

    meta: dict[str, Any] = {
        "columns": [str(c) for c in frame.columns],
        "column_name_dtypes": [dtype_of(c) for c in frame.columns],
        "index_dtype": str(frame.index.dtype),
        "dtypes": [str(d) for d in frame.dtypes],
    }
    if frame.index.name is not None:
        meta["index_name"] = str(frame.index.name)
        meta["index_name_dtype"] = dtype_of(frame.index.name)
    return meta


def stringified(frame: Any) -> Any:
    """What ISF writes to Parquet: column labels and index name as str."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    if out.index.name is not None:
        out.index.name = str(out.index.name)
    return out
