"""S2: a lazy value taken from ``db[k]`` never reads silent fill values after ``k`` changes (issue 11).

Decision: zarr arrays, dask arrays and dask frames read their files when they
are computed. If ``k`` was overwritten or deleted meanwhile, they raise
``ItemChangedError`` naming the key (never zeros, never a bare
``FileNotFoundError``); ``.npy`` items are memory-mapped and keep reading the
old data until dropped (the mapping outlives the unlinked file).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from neuroloom import Database
from neuroloom.errors import ItemChangedError


def zarr_value() -> Any:
    return np.arange(1.0, 4001.0)


def dask_array_value() -> Any:
    import dask.array as da

    return da.arange(1.0, 4001.0, chunks=500)


def dask_frame_value() -> Any:
    import dask.dataframe as dd

    return dd.from_pandas(pd.DataFrame({"a": np.arange(1.0, 101.0)}), npartitions=4)


def read_all(value: Any) -> Any:
    if hasattr(value, "compute"):
        return value.compute()
    return value[...]


CASES: list[tuple[str, Callable[[], Any], str | None]] = [
    ("zarr", zarr_value, "zarr"),
    ("dask-array", dask_array_value, None),
    ("dask-frame", dask_frame_value, None),
]


@pytest.mark.parametrize(("name", "make", "codec"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("change", ["overwrite", "delete"])
def test_lazy_value_raises_after_its_item_changed(
    tmp_path: Path, name: str, make: Callable[[], Any], codec: str | None, change: str
) -> None:
    db = Database(tmp_path / "db")
    db.set("k", make(), codec=codec)
    lazy = db["k"]
    if change == "overwrite":
        db["k"] = np.zeros(3)
    else:
        del db["k"]
    with pytest.raises(ItemChangedError, match=r"item 'k' was overwritten or deleted.*read db\['k'\] again"):
        read_all(lazy)


@pytest.mark.parametrize(("name", "make", "codec"), CASES, ids=[c[0] for c in CASES])
def test_lazy_value_reads_normally_and_pickles(
    tmp_path: Path, name: str, make: Callable[[], Any], codec: str | None
) -> None:
    db = Database(tmp_path / "db")
    db.set("k", make(), codec=codec)
    lazy = db["k"]
    expected = read_all(make())
    got = read_all(lazy)
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    else:
        np.testing.assert_array_equal(got, expected)
    if hasattr(lazy, "compute"):  # dask graphs travel to workers
        again = pickle.loads(pickle.dumps(lazy))
        assert len(read_all(again)) == len(expected)


def test_all_zero_chunks_of_a_zarr_item_are_data_not_loss(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    value = np.concatenate([np.zeros(2_000_000), np.ones(10)])
    db.set("k", value, codec="zarr")
    np.testing.assert_array_equal(db["k"][...], value)


def test_npy_items_keep_reading_the_old_data(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["k"] = np.arange(1.0, 11.0)
    lazy = db["k"]
    del db["k"]
    np.testing.assert_array_equal(np.asarray(lazy), np.arange(1.0, 11.0))
