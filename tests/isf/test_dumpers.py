"""Every ISF dumper format, written in ISF's documented layout by numpy/pandas/pyarrow/zarr."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import msgpack
import numpy as np
import pandas as pd
import pytest
import zarr

import neuroloom.isf as isf
from neuroloom.errors import CodecError, CorruptItemError, PickleRefusedError

from .isf_layout import new_db, new_key, object_meta, stringified


@pytest.fixture
def frame() -> pd.DataFrame:
    out = pd.DataFrame(
        {0: [1.5, np.nan, 3.0], 1: [10, 20, 30], "label": ["a", "b", "c"]},
        index=pd.Index([7, 8, 9], name="trial"),
    )
    return out


def test_pickle_family(tmp_path: Path, frame: pd.DataFrame) -> None:
    db = new_db(tmp_path / "db")
    (new_key(db, "p", "to_pickle") / "to_pickle_dump").write_bytes(pickle.dumps({"a": [1, 2]}))
    (new_key(db, "cp", "to_cloudpickle") / "to_pickle_dump").write_bytes(pickle.dumps((1, "x")))
    frame.to_pickle(new_key(db, "pp", "pandas_to_pickle") / "pandas_to_pickle.pickle")
    closed = isf.open(db)
    for key, dumper in (("p", "to_pickle"), ("cp", "to_cloudpickle"), ("pp", "pandas_to_pickle")):
        with pytest.raises(PickleRefusedError, match=rf"'{key}'.*'{dumper}'.*allow_pickle=True"):
            closed[key]
    opened = isf.open(db, allow_pickle=True)
    assert opened["p"] == {"a": [1, 2]}
    assert opened["cp"] == (1, "x")
    pd.testing.assert_frame_equal(opened["pp"], frame)


def test_pandas_to_parquet_restores_labels(tmp_path: Path, frame: pd.DataFrame) -> None:
    db = new_db(tmp_path / "db")
    folder = new_key(db, "df", "pandas_to_parquet")
    (folder / "object_meta.json").write_text(json.dumps(object_meta(frame)))
    stringified(frame).to_parquet(folder / "pandas_to_parquet.parquet")
    got = isf.open(db)["df"]
    pd.testing.assert_frame_equal(got, frame)
    assert list(got.columns) == [0, 1, "label"]


def test_dask_to_parquet(tmp_path: Path, frame: pd.DataFrame) -> None:
    db = new_db(tmp_path / "db")
    folder = new_key(db, "ddf", "dask_to_parquet")
    (folder / "object_meta.json").write_text(json.dumps(object_meta(frame)))
    stringified(frame.iloc[:2]).to_parquet(folder / "pandas_to_parquet.2.0.parquet")
    stringified(frame.iloc[2:]).to_parquet(folder / "pandas_to_parquet.2.1.parquet")
    (folder / "divisions.json").write_text(json.dumps([7, 9, 9]))
    got = isf.open(db)["ddf"]
    assert got.npartitions == 2
    assert got.known_divisions
    pd.testing.assert_frame_equal(got.compute(), frame)


def test_numpy_family(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    arr = np.arange(12.0).reshape(3, 4)
    np.save(new_key(db, "npy", "numpy_to_npy") / "np.npy", arr)
    np.savez_compressed(new_key(db, "npz", "numpy_to_npz") / "np.npz", arr_0=arr)
    zarr.save_array(str(new_key(db, "zarr", "numpy_to_zarr") / "obj.zarr"), arr)
    opened = isf.open(db)
    for key in ("npy", "npz", "zarr"):
        np.testing.assert_array_equal(opened[key], arr)


def test_object_npy_needs_pickle(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    np.save(new_key(db, "obj", "numpy_to_npy") / "np.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(PickleRefusedError, match=r"'obj'"):
        isf.open(db)["obj"]


def test_msgpack_family(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    (new_key(db, "m", "to_msgpack") / "to_pickle_dump").write_bytes(msgpack.packb({"a": [1, 2.5, "x"]}))
    assert isf.open(db)["m"] == {"a": [1, 2.5, "x"]}


def test_managed_folder_and_sub_databases(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    folder = new_key(db, "files", "just_create_folder")
    (folder / "cell.hoc").write_text("x")
    sub = new_key(db, "sub", "just_create_isf_db")
    inner = new_db(sub / "db")
    np.save(new_key(inner, "arr", "numpy_to_npy") / "np.npy", np.arange(3))
    deeper = new_db(new_key(inner, "deeper", "just_create_isf_db") / "db")
    np.save(new_key(deeper, "x", "numpy_to_npy") / "np.npy", np.arange(2))
    opened = isf.open(db)
    assert opened["files"] == folder.resolve()
    assert (opened["files"] / "cell.hoc").read_text() == "x"
    assert sorted(opened, key=str) == sorted(["files", ("sub", "arr"), ("sub", "deeper", "x")], key=str)
    assert "sub" in opened and ("sub", "deeper") in opened and ("sub", "nope") not in opened
    assert isinstance(opened["sub"], isf.ISFDatabase)
    np.testing.assert_array_equal(opened["sub", "arr"], np.arange(3))
    np.testing.assert_array_equal(opened["sub"]["deeper", "x"], np.arange(2))
    assert opened.metadata(("sub", "deeper", "x"))["dumper"] == "numpy_to_npy"


def test_folder_escaping_the_database_is_refused(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "Loader.json").write_text(json.dumps({"Loader": "x.LoaderDumper.just_create_folder"}))
    (db / "evil").symlink_to(outside)
    with pytest.raises(CorruptItemError, match=r"'evil'.*outside the database"):
        isf.open(db)["evil"]


def test_damaged_databases(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    (new_key(db, "noloader", "numpy_to_npy") / "Loader.json").unlink()
    (new_key(db, "weird", "cell") / "x").write_bytes(b"")
    np.save(new_key(db, "trunc", "numpy_to_npy") / "np.npy", np.arange(1000.0))
    path = db / "trunc" / "np.npy"
    path.write_bytes(path.read_bytes()[:200])
    new_key(db, "gone", "pandas_to_parquet")
    opened = isf.open(db)
    with pytest.raises(CorruptItemError, match=r"'noloader'.*Loader.json is missing"):
        opened["noloader"]
    with pytest.raises(CodecError, match=r"'weird'.*dumper 'cell'"):
        opened["weird"]
    with pytest.raises(
        CorruptItemError, match=r"'trunc'.*numpy_to_npy.*trunc/np\.npy is damaged or truncated"
    ):
        opened["trunc"]
    with pytest.raises(CorruptItemError, match=r"'gone'.*pandas_to_parquet.parquet is missing"):
        opened["gone"]


def test_not_a_database(tmp_path: Path) -> None:
    from neuroloom.errors import NotADatabaseError

    with pytest.raises(NotADatabaseError, match=r"neither db_state.json"):
        isf.open(tmp_path)
    with pytest.raises(NotADatabaseError, match=r"does not exist"):
        isf.open(tmp_path / "missing")


@pytest.mark.parametrize("compress", [None, "zlib", "blosc"])
def test_pandas_to_msgpack(tmp_path: Path, compress: str | None) -> None:
    from .msgpack_writer import write_frame

    frame = pd.DataFrame(
        {
            0: [1.5, np.nan, 3.0],
            1: np.array([10, 20, 30], dtype=np.int64),
            "label": pd.Series(["a", "b", "c"], dtype=object),
            "cat": pd.Categorical(["x", "y", "x"], categories=pd.Index(["x", "y"], dtype=object)),
            2: [4.0, 5.0, 6.0],
        },
        index=pd.Index(["t/000000", "t/000001", "t/000002"], name="sim_trial_index", dtype=object),
    )
    db = new_db(tmp_path / "db")
    write_frame(new_key(db, "pm", "pandas_to_msgpack") / "pandas_to_msgpack", frame, compress)
    parts = new_key(db, "split", "pandas_to_msgpack")
    write_frame(parts / "pandas_to_msgpack_0", frame.iloc[:2], compress)
    write_frame(parts / "pandas_to_msgpack_1", frame.iloc[2:], compress)
    arr = np.arange(6.0).reshape(3, 2)
    write_frame(new_key(db, "np", "numpy_to_msgpack") / "pandas_to_msgpack", pd.DataFrame(arr), compress)
    opened = isf.open(db)
    pd.testing.assert_frame_equal(opened["pm"], frame)
    pd.testing.assert_frame_equal(opened["split"], frame)
    np.testing.assert_array_equal(opened["np"], arr)


def test_dask_to_categorized_msgpack(tmp_path: Path) -> None:
    from .msgpack_writer import write_frame

    frame = pd.DataFrame(
        {
            "synapse_type": pd.Series(["L4ss_C2", "L5tt_C2", "L4ss_C2", "VPM_C2"], dtype=object),
            "synapse_ID": np.array([3, 1, 4, 1], dtype=np.int64),
            0: [10.5, 20.25, np.nan, 1.0],
        },
        index=pd.Index(["a/000000", "a/000000", "a/000001", "a/000002"], dtype=object),
    )
    stored = frame.copy()
    stored["synapse_type"] = stored["synapse_type"].astype("category")  # ISF's categorize step
    stored.index = pd.CategoricalIndex(stored.index)
    db = new_db(tmp_path / "db")
    folder = new_key(
        db,
        "synapse_activation",
        "dask_to_categorized_msgpack",
        index_name="sim_trial_index",
        divisions=["a/000000", "a/000001", "a/000002"],
    )
    write_frame(folder / "dask_to_msgpack.0.csv", stored.iloc[:2])
    write_frame(folder / "dask_to_msgpack.1.csv", stored.iloc[2:])
    got = isf.open(db)["synapse_activation"]
    assert got.npartitions == 2 and got.known_divisions
    expected = frame.rename_axis("sim_trial_index")
    computed = got.compute()
    # dask turns object text into its string dtype ("dataframe.convert-string"); the values must match
    expected = expected.astype({"synapse_type": computed.dtypes["synapse_type"]})
    expected.index = expected.index.astype(computed.index.dtype)
    pd.testing.assert_frame_equal(computed, expected)


def test_truncated_msgpack(tmp_path: Path) -> None:
    from .msgpack_writer import write_frame

    db = new_db(tmp_path / "db")
    path = new_key(db, "pm", "pandas_to_msgpack") / "pandas_to_msgpack"
    write_frame(path, pd.DataFrame({"a": np.arange(100.0)}), None)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CorruptItemError, match=r"'pm'.*pandas_to_msgpack"):
        isf.open(db)["pm"]
