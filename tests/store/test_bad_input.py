"""Bad input raises a neuroloom error naming the key and the file, never a bare library error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroloom import Database
from neuroloom.errors import (
    CodecError,
    CorruptItemError,
    FormatVersionError,
    InvalidKeyError,
    NeuroloomError,
    NotADatabaseError,
)


def payload_file(db: Database, key: str, name: str) -> Path:
    (found,) = (db.path / "items" / key).glob(f".v-*/{name}")
    return found


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "db")
    db["frame"] = pd.DataFrame({"a": np.arange(100)})
    db["array"] = np.arange(100.0)
    db["raw"] = b"bytes"
    db["small"] = {"a": 1}
    return db


@pytest.mark.parametrize(
    ("key", "name"), [("frame", "data.parquet"), ("array", "data.npy"), ("raw", "data.bin")]
)
def test_missing_data_file(db: Database, key: str, name: str) -> None:
    path = payload_file(db, key, name)
    path.unlink()
    with pytest.raises(CorruptItemError) as info:
        db[key]
    message = str(info.value)
    assert f"item {key!r}" in message and str(path.parent) in message and "store it again" in message


@pytest.mark.parametrize(("key", "name"), [("frame", "data.parquet"), ("array", "data.npy")])
def test_truncated_data_file(db: Database, key: str, name: str) -> None:
    path = payload_file(db, key, name)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CorruptItemError, match=f"item '{key}'"):
        db[key]


def test_corrupt_item_json(db: Database) -> None:
    record = db.path / "items" / "small" / "item.json"
    record.write_text('{"codec": "json", "inli')
    for action in (lambda: db["small"], lambda: db.metadata("small"), lambda: db.get("small")):
        with pytest.raises(CorruptItemError) as info:
            action()
        assert "item 'small'" in str(info.value) and str(record) in str(info.value)
    record.write_text("[1, 2]")
    with pytest.raises(CorruptItemError, match="does not describe an item"):
        db["small"]
    del db["small"]  # a damaged item can still be deleted
    assert "small" not in db
    db["small"] = 5
    assert db["small"] == 5


def test_corrupt_item_json_of_payload_item_can_be_deleted(db: Database) -> None:
    (db.path / "items" / "frame" / "item.json").write_text("garbage")
    del db["frame"]
    assert not (db.path / "items" / "frame").exists()


def test_unknown_codec_name(db: Database) -> None:
    with pytest.raises(CodecError, match="unknown codec 'hdf9'; known codecs: bytes"):
        db.set("x", 1, codec="hdf9")
    record = db.path / "items" / "small" / "item.json"
    data = json.loads(record.read_text())
    data["codec"] = "hdf9"
    record.write_text(json.dumps(data))
    with pytest.raises(CorruptItemError) as info:
        db["small"]
    assert (
        "'hdf9'" in str(info.value) and "item 'small'" in str(info.value) and str(record) in str(info.value)
    )


@pytest.mark.parametrize(
    ("value", "codec", "match"),
    [
        ("text", "npy", "cannot store item 'x' with codec 'npy'"),
        (np.array([object()]), "npy", "dtype"),
        (np.arange(3), "parquet", "cannot store item 'x' with codec 'parquet'"),
        (pd.DataFrame({pd.Timestamp("2020-01-01"): [1]}), "parquet", "labels must be str, int"),
        ({1: "int key"}, "json", "dict key 1"),
        ({"a": {1, 2}}, "json", r"value\['a'\] is a set"),
        (np.arange(3), "bytes", "cannot store item 'x' with codec 'bytes'"),
        ({"a": 1}, "dask-parquet", "cannot store item 'x'"),
    ],
)
def test_unsupported_type_for_a_codec(db: Database, value: object, codec: str, match: str) -> None:
    with pytest.raises(CodecError, match=match):
        db.set("x", value, codec=codec)
    assert "x" not in db and not (db.path / "items" / "x").exists()


def test_failing_codec_leaves_nothing_behind(db: Database) -> None:
    frame = pd.DataFrame({"a": [object()]})  # pyarrow cannot convert a bare object
    with pytest.raises(CodecError, match="could not store item 'odd' with codec 'parquet'"):
        db["odd"] = frame
    assert "odd" not in db and not (db.path / "items" / "odd").exists()
    db.set(("group", "odd"), frame, codec="pickle")
    with pytest.raises(CodecError):
        db[("group", "odd")] = frame  # the failed overwrite keeps the old value and its files
    assert db.get(("group", "odd"), allow_pickle=True).shape == (1, 1)
    assert len(list((db.path / "items" / "group" / "odd").glob(".v-*"))) == 1


@pytest.mark.parametrize(
    "key", ["../x", "../../etc/passwd", "/abs/path", "a\0b", ("ok", ".."), ("ok", "/abs")]
)
def test_keys_outside_the_directory(db: Database, key: object, tmp_path: Path) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for action in (
        lambda: db.__setitem__(key, 1),
        lambda: db[key],
        lambda: db.__delitem__(key),
        lambda: db.folder(key),
        lambda: db.sub(key),
        lambda: db.metadata(key),
    ):
        with pytest.raises(InvalidKeyError) as info:
            action()
        assert repr(key) in str(info.value) and "a key is" in str(info.value)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_non_empty_non_database_directory(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(NotADatabaseError) as info:
        Database(tmp_path / "mine")
    assert str(tmp_path / "mine") in str(info.value) and "not a neuroloom database" in str(info.value)
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADatabaseError, match="is a file"):
        Database(tmp_path / "file")


def test_empty_directory_becomes_a_database(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert len(Database(tmp_path / "empty")) == 0


def test_newer_format_version_is_refused(db: Database) -> None:
    marker = db.path / "neuroloom.json"
    info = json.loads(marker.read_text())
    marker.write_text(json.dumps({**info, "format": 99}))
    with pytest.raises(FormatVersionError, match="format 99") as exc_info:
        Database(db.path)
    assert str(db.path) in str(exc_info.value)
    marker.write_text(json.dumps(info))
    record = db.path / "items" / "small" / "item.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "format": 7}))
    with pytest.raises(FormatVersionError) as exc_info:
        db["small"]
    assert "item 'small'" in str(exc_info.value) and str(record) in str(exc_info.value)


def test_corrupt_database_marker(db: Database) -> None:
    (db.path / "neuroloom.json").write_text("{broken")
    with pytest.raises(CorruptItemError, match=r"neuroloom\.json is not valid JSON"):
        Database(db.path)
    (db.path / "neuroloom.json").write_text('{"format": 1}')
    with pytest.raises(CorruptItemError, match="no database id"):
        Database(db.path)


def test_errors_are_catchable_as_neuroloom_and_builtin_families(db: Database) -> None:
    with pytest.raises(KeyError):
        db["missing"]
    with pytest.raises(NeuroloomError):
        db["missing"]
    with pytest.raises(ValueError):
        db["../x"]
    with pytest.raises(TypeError):
        db["t"] = (1, 2)


def test_sub_database_with_missing_files_is_not_silently_recreated(db: Database) -> None:
    sub = db.sub("run")
    sub["x"] = 1
    (sub.path / "neuroloom.json").unlink()
    with pytest.raises(CorruptItemError, match="item 'run' is a sub-database"):
        db["run"]
    with pytest.raises(CorruptItemError):
        db.sub("run")
