"""Every ISF dumper through ``import-isf``: the value in the study equals what ISF stored, with
a safe codec, and docs/isf.md says so (one row per dumper)."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pandas as pd
import pytest
import zarr

import neuroloom.isf as isf
from neuroloom.isf.dumpers import READABLE_DUMPERS

from .isf_layout import new_db, new_key, object_meta, stringified
from .msgpack_writer import write_frame

DOC = Path(__file__).resolve().parents[2] / "docs" / "isf.md"

FRAME = pd.DataFrame(
    {0: [1.5, np.nan, 3.0], 1: np.array([10, 20, 30], dtype=np.int64), "label": ["a", "b", "c"]},
    index=pd.Index([7, 8, 9], name="trial"),
)
ARRAY = np.arange(12.0).reshape(3, 4)
OBJECT = {"a": [1, 2.5, "x"], "b": {"c": None}}

# dumper -> (key, codec the study stores it with)
EXPECTED = {
    "to_pickle": ("p", "json"),
    "to_cloudpickle": ("cp", "npy"),
    "pandas_to_pickle": ("pp", "parquet"),
    "pandas_to_parquet": ("pq", "parquet"),
    "dask_to_parquet": ("dpq", "dask-parquet"),
    "numpy_to_npy": ("npy", "npy"),
    "numpy_to_npz": ("npz", "npy"),
    "numpy_to_zarr": ("zarr", "npy"),
    "to_msgpack": ("mp", "json"),
    "pandas_to_msgpack": ("pmp", "parquet"),
    "numpy_to_msgpack": ("nmp", "npy"),
    "dask_to_msgpack": ("dmp", "dask-parquet"),
    "dask_to_categorized_msgpack": ("dcmp", "dask-parquet"),
    "just_create_folder": ("files", "folder"),
    "just_create_isf_db": ("sub", "sub-database"),
}


def _write_pickles(db: Path) -> None:
    (new_key(db, "p", "to_pickle") / "to_pickle_dump").write_bytes(pickle.dumps(OBJECT))
    (new_key(db, "cp", "to_cloudpickle") / "to_pickle_dump").write_bytes(pickle.dumps(ARRAY))
    FRAME.to_pickle(new_key(db, "pp", "pandas_to_pickle") / "pandas_to_pickle.pickle")


def _write_parquet(db: Path) -> None:
    folder = new_key(db, "pq", "pandas_to_parquet")
    (folder / "object_meta.json").write_text(json.dumps(object_meta(FRAME)))
    stringified(FRAME).to_parquet(folder / "pandas_to_parquet.parquet")
    folder = new_key(db, "dpq", "dask_to_parquet")
    (folder / "object_meta.json").write_text(json.dumps(object_meta(FRAME)))
    stringified(FRAME.iloc[:2]).to_parquet(folder / "pandas_to_parquet.2.0.parquet")
    stringified(FRAME.iloc[2:]).to_parquet(folder / "pandas_to_parquet.2.1.parquet")
    (folder / "divisions.json").write_text(json.dumps([7, 9, 9]))


def _write_arrays(db: Path) -> None:
    np.save(new_key(db, "npy", "numpy_to_npy") / "np.npy", ARRAY)
    np.savez_compressed(new_key(db, "npz", "numpy_to_npz") / "np.npz", arr_0=ARRAY)
    zarr.save_array(str(new_key(db, "zarr", "numpy_to_zarr") / "obj.zarr"), ARRAY)


def _write_msgpack(db: Path) -> None:
    (new_key(db, "mp", "to_msgpack") / "to_pickle_dump").write_bytes(msgpack.packb(OBJECT))
    numeric = FRAME[[0, 1]]
    write_frame(new_key(db, "pmp", "pandas_to_msgpack") / "pandas_to_msgpack", numeric)
    write_frame(new_key(db, "nmp", "numpy_to_msgpack") / "pandas_to_msgpack", pd.DataFrame(ARRAY))
    for key, dumper in (("dmp", "dask_to_msgpack"), ("dcmp", "dask_to_categorized_msgpack")):
        folder = new_key(db, key, dumper, index_name="trial", divisions=[7, 8, 9])
        write_frame(folder / "dask_to_msgpack.0.csv", numeric.iloc[:1].rename_axis(None))
        write_frame(folder / "dask_to_msgpack.1.csv", numeric.iloc[1:].rename_axis(None))


def _write_folders(db: Path) -> None:
    (new_key(db, "files", "just_create_folder") / "cell.hoc").write_text("x")
    inner = new_db(new_key(db, "sub", "just_create_isf_db") / "db")
    np.save(new_key(inner, "arr", "numpy_to_npy") / "np.npy", np.arange(3))


@pytest.fixture(scope="module")
def every_dumper(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("every")
    db = new_db(root / "db")
    for write in (_write_pickles, _write_parquet, _write_arrays, _write_msgpack, _write_folders):
        write(db)
    return db, isf.import_(db, root / "study", allow_pickle=True)


def _same(stored: Any, source: Any) -> None:
    if hasattr(source, "compute"):
        source, stored = source.compute(), stored.compute()
    if isinstance(source, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, source, check_exact=True)
    elif isinstance(source, np.ndarray):
        np.testing.assert_array_equal(stored, source)
        assert stored.dtype == source.dtype and stored.shape == source.shape
    else:
        assert stored == source


def test_every_dumper_is_covered() -> None:
    assert set(EXPECTED) | {"just_create_mdb"} == set(READABLE_DUMPERS) - {"self"}


@pytest.mark.parametrize("dumper", sorted(EXPECTED))
def test_every_dumper_imports_losslessly(every_dumper: tuple[Path, Any], dumper: str) -> None:
    db, study = every_dumper
    key, codec = EXPECTED[dumper]
    source = isf.open(db, allow_pickle=True)
    meta = study.metadata(("isf", key)) if codec != "sub-database" else None
    if codec == "folder":
        assert (study.folder(("isf", key)) / "cell.hoc").read_text() == "x"
        return
    if codec == "sub-database":
        np.testing.assert_array_equal(study["isf", key, "arr"], np.arange(3))
        assert study.metadata(("isf", key, "arr"))["meta"]["isf"]["dumper"] == "numpy_to_npy"
        return
    assert meta is not None and meta["codec"] == codec
    assert meta["meta"]["isf"]["dumper"] == dumper
    assert {"time", "version"} <= set(meta["meta"]["isf"])
    _same(study["isf", key], source[key])


def test_docs_table_says_what_the_import_does() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\|[^|]*\| ([^|]+?) \|", DOC.read_text(), re.M))
    for dumper, (_key, codec) in EXPECTED.items():
        assert dumper in rows, dumper
        assert f"`{codec}`" in rows[dumper], (dumper, rows[dumper])
