"""Database behaviour in_silico_framework users rely on: readonly, nocreate, one key
hierarchy, change of codec with history, DataFrames with any labels restored exactly."""

from __future__ import annotations

import os
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import (
    CodecError,
    KeyConflictError,
    NeuroloomError,
    NotADatabaseError,
    PickleRefusedError,
    ReadOnlyError,
)
from neuroloom.store import Database
from neuroloom.store.database import isf_database
from neuroloom.store.isf_compat import codec_for_dumper


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for folder, _, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(folder, name))
            out[os.path.relpath(os.path.join(folder, name), path)] = (st.st_size, st.st_mtime_ns)
        out[os.path.relpath(folder, path) + "/"] = (0, 0)
    return out


def test_readonly_refuses_every_write_and_changes_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["a"] = [1, 2]
    db.folder("files")
    db.sub("sub")["x"] = 1
    before = _tree(tmp_path / "db")
    ro = Database(tmp_path / "db", readonly=True)
    assert ro["a"] == [1, 2] and ro["sub", "x"] == 1
    writes = [
        lambda: ro.__setitem__("b", 1),
        lambda: ro.set("a", 3),
        lambda: ro.__delitem__("a"),
        lambda: ro.clear(),
        lambda: ro.folder("newfolder"),
        lambda: ro.sub("newsub"),
        lambda: ro.cached("c", lambda: 1),
        lambda: ro.vacuum(),
        lambda: ro.change_codec("a", "pickle"),
        lambda: ro.pop("a"),
        lambda: ro.update({"z": 1}),
        lambda: ro["sub"].__setitem__("y", 2),
        lambda: ro.__setitem__(("sub", "y"), 2),
        lambda: ro.setitem("b", 1),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyError, match=r"readonly=True"):
            write()
    assert ro.folder("files").is_dir()  # an existing folder is only read
    assert _tree(tmp_path / "db") == before


def test_readonly_and_create_false_never_create(tmp_path: Path) -> None:
    for kwargs in ({"readonly": True}, {"create": False}):
        with pytest.raises(NotADatabaseError, match=str(tmp_path / "missing")):
            Database(tmp_path / "missing", **kwargs)
        assert not (tmp_path / "missing").exists()
    with pytest.raises(NotADatabaseError, match="create=False"):
        isf_database(tmp_path / "missing", nocreate=True)
    Database(tmp_path / "db")
    assert Database(tmp_path / "db", create=False).id == isf_database(tmp_path / "db", readonly=True).id


def test_one_key_hierarchy(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["A"] = 1
    with pytest.raises(KeyConflictError, match=r"'A' holds a 'json' value"):
        db["A", "1"] = 2
    assert list(db) == ["A"] and not (db.path / "items" / "A" / "1").exists()
    db["B", "x"] = 1
    with pytest.raises(KeyConflictError, match=r"prefix of the existing key \('B', 'x'\)"):
        db["B"] = 2
    with pytest.raises(KeyConflictError):
        db.folder("B")
    with pytest.raises(KeyConflictError):
        db.folder(("A", "f"))
    assert "B" in db and ("B", "x") in db and ("A", "1") not in db
    assert db["B", "x"] == 1
    db["A"] = 5  # replacing a value is fine
    assert db["A"] == 5


def test_sub_database_reachable_with_one_tuple(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    sub = db.sub("sub")
    sub["x"] = 1
    db["sub", "y"] = 2  # stored inside the sub-database
    assert sub["y"] == 2 and db["sub", "x"] == 1
    assert "sub" in db and ("sub", "x") in db and ("sub", "nope") not in db
    assert db.metadata(("sub", "y"))["codec"] == "json"
    assert db.sub(("sub", "deeper")) == sub.sub("deeper")
    del db["sub", "x"]
    assert "x" not in sub


def test_change_codec_keeps_history_and_meta(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    db.set("f", frame, meta={"source": "isf"})
    db.change_codec("f", "pickle")
    assert db.metadata("f")["codec"] == "pickle"
    with pytest.raises(PickleRefusedError):
        db.change_codec("f", "parquet")
    db.change_codec("f", "parquet", allow_pickle=True)
    meta = db.metadata("f")
    assert meta["codec"] == "parquet" and meta["meta"] == {"source": "isf"}
    assert [h["codec"] for h in meta["codec_history"]] == ["parquet", "pickle"]
    assert all(h["created"] and h["replaced"] for h in meta["codec_history"])
    pd.testing.assert_frame_equal(db["f"], frame)
    db.change_dumper("f", "to_cloudpickle")  # ISF spelling, ISF dumper name
    assert db.metadata("f")["codec"] == "cloudpickle"
    assert len(db.metadata("f")["codec_history"]) == 3
    db.folder("dir")
    with pytest.raises(CodecError, match="only values"):
        db.change_codec("dir", "json")
    with pytest.raises(CodecError):
        db.change_codec("f", "npy", allow_pickle=True)
    assert db.metadata("f")["codec"] == "cloudpickle"  # a refused change leaves the item as it was


def test_dumper_names() -> None:
    assert codec_for_dumper("I.dumper_pandas_to_parquet") == "parquet"
    assert codec_for_dumper("numpy_to_zarr") == "zarr"
    assert codec_for_dumper("json") == "json"


FRAMES = {
    "int_labels": pd.DataFrame(np.arange(6.0).reshape(2, 3)),
    "mixed_labels": pd.DataFrame(
        {0: [1, 2], "a": ["x", "y"], 2.5: [True, False]}, index=pd.Index([3, 4], name=7)
    ),
    "categorical": pd.DataFrame(
        {"c": pd.Categorical(["a", "b", "a"]), 1: [1, 2, 3]},
        index=pd.Index(["x", "y", "z"], name="sim_trial_index"),
    ),
    "spike_times": pd.DataFrame(
        {0: [173.6, np.nan], 1: [214.4, np.nan]},
        index=pd.Index(["t/000000", "t/000001"], name="sim_trail_index"),
    ),
    "multi_columns": pd.DataFrame(
        np.zeros((2, 2)), columns=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["l", None])
    ),
    "index_named_like_column": pd.DataFrame({"a": [1]}, index=pd.Index([1], name="a")).rename_axis(
        columns="cols"
    ),
    "multi_index": pd.DataFrame(
        {0: [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["n", 5])
    ),
    "uint_index": pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index([1, 2], dtype="uint32", name="gid")),
    # a subset of mixed labels: integer labels in an Index of dtype object
    "object_int_labels": pd.DataFrame(np.zeros((2, 2)), columns=pd.Index([0, 1], dtype=object)),
    # as ISF's pickles hold them (pandas < 3): text index of dtype object, not pandas' str
    "object_index": pd.DataFrame(
        {0: [173.6, np.nan]},
        index=pd.Index(["t/000000", "t/000001"], dtype=object, name="sim_trail_index"),
    ),
    "object_multi_index": pd.DataFrame(
        {"v": [1.0, 2.0]},
        index=pd.MultiIndex.from_arrays(
            [pd.Index(["a", "b"], dtype=object), pd.Index(["x", "y"], dtype="str")], names=["o", "s"]
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_pandas_frames_restored_exactly(tmp_path: Path, name: str) -> None:
    db = Database(tmp_path / "db")
    db[name] = FRAMES[name]
    pd.testing.assert_frame_equal(db[name], FRAMES[name], check_exact=True)


def test_series_name_and_column_subset(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    series = pd.Series([1, 2], name=3, index=pd.Index([0, 1], name=4))
    db["s"] = series
    pd.testing.assert_series_equal(db["s"], series)
    db["m"] = FRAMES["mixed_labels"]
    pd.testing.assert_frame_equal(db.get("m", columns=[2.5, 0]), FRAMES["mixed_labels"][[2.5, 0]])


@pytest.mark.parametrize(
    "name", ["int_labels", "mixed_labels", "categorical", "spike_times", "object_index", "object_int_labels"]
)
def test_dask_frames_restored_exactly(tmp_path: Path, name: str) -> None:
    db = Database(tmp_path / "db")
    frame = dd.from_pandas(FRAMES[name], npartitions=2)
    db[name] = frame
    back = db[name]
    assert isinstance(back, dd.DataFrame) and back.npartitions == 2
    assert list(back.columns) == list(FRAMES[name].columns)
    pd.testing.assert_frame_equal(back.compute(), frame.compute(), check_exact=True)


def test_unstorable_label_is_refused_naming_it(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    with pytest.raises(NeuroloomError, match="Timestamp"):
        db["x"] = pd.DataFrame({pd.Timestamp("2020-01-01"): [1]})
    assert "x" not in db
