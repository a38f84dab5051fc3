"""The older ModelDataBase layout: keys from sqlite without pickle, values with allow_pickle."""

from __future__ import annotations

import pickle
import sqlite3
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom.isf as isf
from neuroloom.errors import PickleRefusedError

MDB = "data_base.model_data_base.model_data_base"
DUMPERS = "data_base.model_data_base.IO.LoaderDumper"


@pytest.fixture
def isf_classes() -> Iterator[dict[str, type]]:
    """Classes named like ISF's, so the pickles we write look like ISF's (ISF is not installed)."""
    made: dict[str, type] = {}
    names = [MDB, *(f"{DUMPERS}.{d}" for d in ("numpy_to_npy", "pandas_to_pickle", "just_create_mdb"))]
    parents = sorted({".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 1)})
    assert not any(p in sys.modules for p in parents), "in_silico_framework is importable here"
    for parent in parents:
        sys.modules[parent] = types.ModuleType(parent)
    names += parents
    for name in names[: -len(parents)]:
        module = types.ModuleType(name)
        cls_name = "LoaderWrapper" if name == MDB else "Loader"
        cls = type(cls_name, (), {"__module__": name})
        setattr(module, cls_name, cls)
        sys.modules[name] = module
        made[name] = cls
    yield made
    for name in names:
        del sys.modules[name]


def _table(path: Path, rows: dict[str, bytes]) -> None:
    con = sqlite3.connect(path)
    con.execute('CREATE TABLE "unnamed" (key TEXT PRIMARY KEY, value BLOB)')
    con.executemany('INSERT INTO "unnamed" VALUES (?, ?)', list(rows.items()))
    con.commit()
    con.close()


def _pointer(classes: dict[str, type], relpath: str) -> bytes:
    wrapper = classes[MDB]()
    wrapper.relpath = relpath  # type: ignore[attr-defined]
    return pickle.dumps(wrapper)


def _make_mdb(root: Path, classes: dict[str, type]) -> None:
    root.mkdir(parents=True)
    (root / "dbcore.pickle").write_bytes(pickle.dumps({"_unique_id": "x"}))
    (root / "arr_dir").mkdir()
    np.save(root / "arr_dir" / "np.npy", np.arange(4))
    (root / "arr_dir" / "Loader.pickle").write_bytes(pickle.dumps(classes[f"{DUMPERS}.numpy_to_npy"]()))
    (root / "df_dir").mkdir()
    pd.DataFrame({"a": [1, 2]}).to_pickle(root / "df_dir" / "pandas_to_pickle.pickle")
    (root / "df_dir" / "Loader.pickle").write_bytes(pickle.dumps(classes[f"{DUMPERS}.pandas_to_pickle"]()))
    _table(
        root / "sqlitedict.db",
        {
            "arr": _pointer(classes, "arr_dir"),
            "grp@df": _pointer(classes, "df_dir"),
            "inline": pickle.dumps([1, 2, 3]),
        },
    )
    meta = {
        k: pickle.dumps({"dumper": d, "time": (2019, 1, 1)})
        for k, d in (("arr", "numpy_to_npy"), ("grp@df", "pandas_to_pickle"), ("inline", "self"))
    }
    _table(root / "metadata.db", meta)


def test_keys_and_metadata_without_pickle(tmp_path: Path, isf_classes: dict[str, type]) -> None:
    _make_mdb(tmp_path / "mdb", isf_classes)
    db = isf.open(tmp_path / "mdb")
    assert db.layout == "model_data_base"
    assert sorted(db, key=str) == sorted(["arr", ("grp", "df"), "inline"], key=str)
    assert db.metadata(("grp", "df"))["dumper"] == "pandas_to_pickle"
    with pytest.raises(PickleRefusedError, match=r"'arr'.*allow_pickle=True"):
        db["arr"]


def test_sub_model_data_base(tmp_path: Path, isf_classes: dict[str, type]) -> None:
    root = tmp_path / "mdb"
    _make_mdb(root, isf_classes)
    (root / "sub_dir").mkdir()
    (root / "sub_dir" / "Loader.pickle").write_bytes(
        pickle.dumps(isf_classes[f"{DUMPERS}.just_create_mdb"]())
    )
    inner = root / "sub_dir" / "mdb"
    _make_mdb(inner, isf_classes)
    con = sqlite3.connect(root / "sqlitedict.db")
    con.execute('INSERT INTO "unnamed" VALUES (?, ?)', ("sub", _pointer(isf_classes, "sub_dir")))
    con.commit()
    con.close()
    con = sqlite3.connect(root / "metadata.db")
    con.execute('INSERT INTO "unnamed" VALUES (?, ?)', ("sub", pickle.dumps({"dumper": "just_create_mdb"})))
    con.commit()
    con.close()
    closed = isf.open(root)
    assert "sub" in list(closed)  # without pickle the sub-database is listed, not opened
    db = isf.open(root, allow_pickle=True)
    assert ("sub", "grp", "df") in list(db)
    np.testing.assert_array_equal(db["sub", "arr"], np.arange(4))
    assert isinstance(db["sub"], isf.ISFDatabase) and db["sub"]["inline"] == [1, 2, 3]


def test_values_with_pickle(tmp_path: Path, isf_classes: dict[str, type]) -> None:
    _make_mdb(tmp_path / "mdb", isf_classes)
    db = isf.open(tmp_path / "mdb", allow_pickle=True)
    np.testing.assert_array_equal(db["arr"], np.arange(4))
    pd.testing.assert_frame_equal(db["grp", "df"], pd.DataFrame({"a": [1, 2]}))
    assert db["inline"] == [1, 2, 3]
