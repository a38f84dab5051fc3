"""Every codec round trip through a real database directory."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import zarr

from neuroloom import Database
from neuroloom.errors import CodecError, PickleRefusedError
from neuroloom.store.codecs import arrays, codec_names


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "db")


def data_files(db: Database, key: str) -> list[str]:
    folder = db.path / "items" / key
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_dataframe_keeps_index_dtypes_and_values(db: Database) -> None:
    frame = pd.DataFrame(
        {
            "i": np.arange(4, dtype=np.int32),
            "f": np.linspace(0, 1, 4, dtype=np.float32),
            "s": ["a", "b", "c", "d"],
            "c": pd.Categorical(["x", "y", "x", "y"]),
            "t": pd.date_range("2026-01-01", periods=4, freq="h", tz="UTC"),
            "b": [True, False, True, False],
        },
        index=pd.Index([10, 20, 30, 40], name="node_id"),
    )
    db["frame"] = frame
    back = db["frame"]
    pd.testing.assert_frame_equal(back, frame)
    assert db.metadata("frame")["codec"] == "parquet"
    assert any(f.endswith("data.parquet") for f in data_files(db, "frame"))
    assert list(db.get("frame", columns=["f"]).columns) == ["f"]


def test_dataframe_with_multiindex_round_trips(db: Database) -> None:
    index = pd.MultiIndex.from_product([["exc", "inh"], [0, 1]], names=["population", "node"])
    frame = pd.DataFrame({"rate": [1.0, 2.0, 3.0, 4.0]}, index=index)
    db["multi"] = frame
    pd.testing.assert_frame_equal(db["multi"], frame)


@pytest.mark.parametrize("name", ["rate", None])
def test_series_round_trips_with_name_and_index(db: Database, name: str | None) -> None:
    series = pd.Series([0.5, 1.5, 2.5], index=pd.Index(["a", "b", "c"], name="cell"), name=name)
    db["series"] = series
    pd.testing.assert_series_equal(db["series"], series)


def test_ndarray_is_npy_and_read_back_memory_mapped(db: Database) -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    db["v"] = values
    back = db["v"]
    assert isinstance(back, np.memmap) and not back.flags.writeable
    np.testing.assert_array_equal(back, values)
    assert back.dtype == values.dtype
    in_memory = db.get("v", mmap=False)
    assert not isinstance(in_memory, np.memmap)
    np.testing.assert_array_equal(in_memory, values)
    assert any(f.endswith("data.npy") for f in data_files(db, "v"))


@pytest.mark.parametrize(
    "values",
    [
        np.zeros((0, 3)),
        np.array(5.0),
        np.array(["a", "bb"]),
        np.zeros(3, dtype=[("a", "i4"), ("b", "f8")]),
        np.asfortranarray(np.arange(6).reshape(2, 3)),
        np.array([1 + 2j]),
    ],
    ids=["empty", "0d", "unicode", "structured", "fortran", "complex"],
)
def test_npy_edge_arrays(db: Database, values: np.ndarray) -> None:
    db["a"] = values
    back = db["a"]
    assert back.dtype == values.dtype and back.shape == values.shape
    np.testing.assert_array_equal(back, values)


def test_large_array_goes_to_zarr(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrays, "ZARR_THRESHOLD", 10_000)
    small = np.arange(100, dtype=np.int64)
    big = np.arange(5_000, dtype=np.float64).reshape(50, 100)
    db["small"] = small
    db["big"] = big
    assert db.metadata("small")["codec"] == "npy"
    assert db.metadata("big")["codec"] == "zarr"
    back = db["big"]
    assert isinstance(back, zarr.Array) and back.shape == (50, 100)
    np.testing.assert_array_equal(back[...], big)
    assert any("data.zarr" in f for f in data_files(db, "big"))


def test_dask_dataframe_is_partitioned_parquet_read_back_lazily(db: Database) -> None:
    frame = pd.DataFrame(
        {"node": np.arange(30), "t": np.linspace(0, 3, 30)}, index=pd.Index(np.arange(30) * 2, name="i")
    )
    db["spikes"] = dd.from_pandas(frame, npartitions=3)
    back = db["spikes"]
    assert isinstance(back, dd.DataFrame)
    assert back.npartitions == 3
    pd.testing.assert_frame_equal(back.compute(), frame)
    assert db.metadata("spikes")["codec"] == "dask-parquet"
    assert len([f for f in data_files(db, "spikes") if f.endswith(".parquet")]) == 3


def test_dask_array_goes_to_zarr_and_back_as_dask(db: Database) -> None:
    values = da.arange(100, chunks=30).reshape(10, 10)
    db["lazy"] = values
    back = db["lazy"]
    assert isinstance(back, da.Array)
    np.testing.assert_array_equal(back.compute(), np.arange(100).reshape(10, 10))
    assert db.metadata("lazy")["codec"] == "zarr"


@pytest.mark.parametrize(
    "value",
    [
        {"tau_m": 20.0, "rates": [5, 10], "nested": {"ok": True, "none": None}},
        [1, "two", 3.0, None],
        "a string",
        42,
        2.5,
        True,
        None,
    ],
)
def test_json_values_round_trip(db: Database, value: object) -> None:
    db["j"] = value
    assert db["j"] == value and type(db["j"]) is type(value)
    assert db.metadata("j")["codec"] == "json"


def test_numpy_scalars_are_stored_as_plain_json(db: Database) -> None:
    db["s"] = {"n": np.int64(3), "x": np.float32(0.5)}
    assert db["s"] == {"n": 3, "x": 0.5}


def test_large_json_goes_to_a_file(db: Database) -> None:
    value = {"values": list(range(50_000))}
    db["big"] = value
    assert db["big"] == value
    assert any(f.endswith("data.json") for f in data_files(db, "big"))
    db["small"] = {"a": 1}
    assert data_files(db, "small") == ["item.json"]


def test_bytes_round_trip(db: Database) -> None:
    db["raw"] = b"\x00\x01binary\xff"
    db["ba"] = bytearray(b"abc")
    assert db["raw"] == b"\x00\x01binary\xff" and db["ba"] == b"abc"
    assert db.metadata("raw")["codec"] == "bytes"


def test_explicit_codec_choice(db: Database) -> None:
    db.set("as-json", (1, 2, 3), codec="json")
    assert db["as-json"] == [1, 2, 3]
    db.set("as-zarr", np.arange(10), codec="zarr")
    assert isinstance(db["as-zarr"], zarr.Array)
    db.set("as-npy", np.arange(10), codec="npy")
    assert isinstance(db["as-npy"], np.memmap)
    db.set("series", pd.Series([1, 2]), codec="parquet")
    assert db.metadata("series")["codec"] == "parquet"


def test_tuples_and_objects_need_a_named_codec(db: Database) -> None:
    with pytest.raises(CodecError, match=r"choose one with db\.set"):
        db["t"] = (1, 2)
    with pytest.raises(CodecError, match="pickle"):
        db["o"] = object()
    assert len(db) == 0


class Point:
    def __init__(self, x: int) -> None:
        self.x = x


def test_pickle_only_when_named_and_loaded_only_with_opt_in(db: Database) -> None:
    db.set("p", Point(3), codec="pickle")
    with pytest.raises(PickleRefusedError, match="allow_pickle=True"):
        db["p"]
    with pytest.raises(PickleRefusedError):
        db.get("p")
    assert db.get("p", allow_pickle=True).x == 3


def test_cloudpickle_stores_lambdas(db: Database) -> None:
    offset = 10
    db.set("fn", lambda x: x + offset, codec="cloudpickle")
    with pytest.raises(PickleRefusedError, match="cloudpickle"):
        db["fn"]
    assert db.get("fn", allow_pickle=True)(1) == 11
    with pytest.raises(CodecError, match="could not store item 'fn2' with codec 'pickle'"):
        db.set("fn2", lambda x: x, codec="pickle")
    assert "fn2" not in db


def test_every_codec_is_covered() -> None:
    assert codec_names() == [
        "bytes",
        "cloudpickle",
        "dask-parquet",
        "json",
        "npy",
        "npz",
        "parquet",
        "pickle",
        "zarr",
    ]


def test_dask_dataframe_keeps_pandas_text_dtypes(db: Database) -> None:
    import dask

    frame = pd.DataFrame(
        {"s": ["a", "b", "c", "d"], "x": np.arange(4)}, index=pd.Index(list("wxyz"), name="i")
    )
    with dask.config.set({"dataframe.convert-string": False}):
        lazy = dd.from_pandas(frame, npartitions=2)
        db["text"] = lazy
        back = db["text"]
        assert back.dtypes["s"] == lazy.dtypes["s"] and back.index.dtype == lazy.index.dtype
        pd.testing.assert_frame_equal(back.compute(), lazy.compute())
    assert list(db.get("text", columns=["x"]).columns) == ["x"]
