"""Store review items of issue 11: S9 Series names, S13 codec errors, S17 NaN in JSON, S18 failed deletes."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from neuroloom import Database
from neuroloom.errors import CodecError, CorruptItemError, StorageError


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "db")


@pytest.mark.parametrize("name", [0, 1.5, (0, "a"), "0", None, True])
def test_series_name_keeps_its_type(db: Database, name: Any) -> None:
    """S9: a Series named 0 comes back named 0 (not '0')."""
    db["s"] = pd.Series([1.0, 2.0], name=name)
    got = db["s"].name
    assert got == name and type(got) is type(name)


def test_wrong_option_value_names_the_option_not_damage(db: Database) -> None:
    """S13: a wrong option is about the option; the data are not called damaged."""
    db["f"] = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    db["g"] = pd.DataFrame({0: [1, 2], "b": [3, 4]})  # relabelled on disk
    for key in ("f", "g"):
        with pytest.raises(CodecError, match=r"columns=.*'nope'.*its columns") as info:
            db.get(key, columns=["nope"])
        assert "damaged" not in str(info.value) and "delete" not in str(info.value)
    assert db.get("f", columns=["b"]).columns.tolist() == ["b"]
    assert db.get("g", columns=[0]).columns.tolist() == [0]
    with pytest.raises(CodecError, match=r"list of column labels"):
        db.get("f", columns="a")


def test_unknown_options_are_refused(db: Database) -> None:
    """S13: an option the codec does not take is refused, not ignored."""
    db["a"] = np.arange(3.0)
    db["f"] = pd.DataFrame({"a": [1]})
    db["j"] = {"x": 1}
    with pytest.raises(CodecError, match=r"'npy' codec, which takes no option 'columns'; its options: mmap"):
        db.get("a", columns=["x"])
    with pytest.raises(CodecError, match=r"no option 'mmap'; its options: columns"):
        db.get("f", mmap=False)
    with pytest.raises(CodecError, match=r"no option 'colums'; its options: none"):
        db.get("j", colums=["x"])
    assert isinstance(db.get("a", mmap=False), np.ndarray)


def test_real_damage_still_says_damaged(db: Database) -> None:
    db["f"] = pd.DataFrame({"a": [1, 2]})
    (found,) = (db.path / "items" / "f").glob(".v-*/data.parquet")
    found.write_bytes(b"garbage")
    with pytest.raises(CorruptItemError, match=r"missing or damaged"):
        db["f"]


NONFINITE: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    {"a": math.nan, "b": [1.0, math.inf, {"c": -math.inf}], "d": None},
    [math.nan, None, "NaN"],
]


@pytest.mark.parametrize("value", NONFINITE)
@pytest.mark.parametrize("inline", [True, False])
def test_nonfinite_floats_are_valid_json_and_round_trip(
    db: Database, value: Any, inline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S17: item.json (and data.json) is always valid JSON; NaN/inf come back."""
    if not inline:
        monkeypatch.setattr("neuroloom.store.codecs.text.INLINE_LIMIT", 0)
    db["v"] = value
    for path in (db.path / "items" / "v").rglob("*.json"):
        text = path.read_text()
        assert "NaN" not in text.replace('"NaN"', "") and "Infinity" not in text, text
        json.loads(text, parse_constant=pytest.fail)
    got = db["v"]
    assert json.dumps(got, sort_keys=True) == json.dumps(value, sort_keys=True)


def test_nan_metadata_is_refused(db: Database) -> None:
    with pytest.raises(CodecError, match=r"metadata"):
        db.set("k", 1, meta={"x": math.nan})
    assert "k" not in db


def test_failed_delete_is_reported(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """S18: a payload that cannot be removed is reported, not swallowed.

    The tests run as root, whom permissions do not stop, so the refusal of the
    file system is injected into ``os.unlink`` (fault injection).
    """
    db["a"] = np.arange(3.0)
    real_unlink = os.unlink

    def refuse(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith("data.npy"):
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refuse)
    with pytest.raises(StorageError, match=r"'a' is deleted.*could not be removed.*Permission denied"):
        del db["a"]
    assert "a" not in db
    db["b"] = np.arange(3.0)
    with pytest.warns(ResourceWarning, match=r"previous value"):
        db["b"] = np.arange(4.0)
    monkeypatch.undo()
    assert db["b"].tolist() == [0.0, 1.0, 2.0, 3.0]
    shutil.rmtree(db.path)
