"""The ``npz`` codec: arrays stored zlib-compressed when named; compression_pays decides for run results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import neuroloom as nl
from neuroloom.store.codecs.arrays import COMPRESS_MIN_BYTES, compression_pays


def test_npz_round_trips_and_is_chosen_only_by_name(tmp_path: Path) -> None:
    db = nl.Database(tmp_path / "db")
    values = np.tile(np.arange(12, dtype=np.float32).reshape(3, 4), (500, 1))
    db.set("a", values, codec="npz")
    got = db["a"]
    assert type(got) is np.ndarray and got.dtype == np.float32 and got.shape == (1500, 4)
    np.testing.assert_array_equal(got, values)
    db["b"] = values  # not named: the usual memory-mapped npy
    assert db.metadata("b")["codec"] == "npy"


def test_compression_pays_only_for_compressible_arrays_of_some_size() -> None:
    assert compression_pays(np.zeros(COMPRESS_MIN_BYTES // 8))
    assert not compression_pays(np.zeros(COMPRESS_MIN_BYTES // 8 - 1))  # too small to bother
    assert not compression_pays(np.random.default_rng(0).random(10_000))  # noise does not shrink
    assert not compression_pays(np.array(["x"] * 10_000, dtype=object))
