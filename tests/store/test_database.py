"""The dict API of ``Database`` on real directories."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom
from neuroloom import Database
from neuroloom._io.atomic import tmp_name
from neuroloom.errors import CodecError, InvalidKeyError, ItemNotFoundError, PickleRefusedError


def payloads(db: Database, *parts: str) -> list[str]:
    """Names of the finished payload folders of one item."""
    return sorted(p.name for p in db.path.joinpath("items", *parts).glob(".v-*"))


def test_create_then_reopen_keeps_id_and_items(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["x"] = {"a": 1}
    marker = json.loads((tmp_path / "db" / "neuroloom.json").read_text())
    assert marker["id"] == db.id and marker["format"] == 1
    again = Database(tmp_path / "db")
    assert again.id == db.id and again == db
    assert again["x"] == {"a": 1}


def test_set_get_del_in_len_keys_items(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    assert len(db) == 0 and list(db.keys()) == []
    db["b"] = [1, 2, 3]
    db["a"] = "text"
    db[("group", "inner")] = 2.5
    db[("group", "other")] = {"also": "an item"}
    assert len(db) == 4
    assert list(db.keys()) == ["a", "b", ("group", "inner"), ("group", "other")]
    assert dict(db.items()) == {
        "a": "text",
        "b": [1, 2, 3],
        ("group", "inner"): 2.5,
        ("group", "other"): {"also": "an item"},
    }
    assert "a" in db and ("group", "inner") in db and ("group",) in db and "group" in db
    assert "missing" not in db and ("group", "nope") not in db and "../x" not in db and 3 not in db
    with pytest.raises(ItemNotFoundError, match="no item 'group'"):
        db["group"]  # a prefix of keys holds no value
    del db[("group", "other")]
    del db[("group", "inner")]
    assert "group" not in db
    assert not (db.path / "items" / "group").exists()  # empty folders are pruned
    assert db.get("group") is None and db.get("group", 7) == 7
    with pytest.raises(ItemNotFoundError, match="cannot delete 'nope'"):
        del db["nope"]
    assert sorted(db) == ["a", "b"]


def test_dict_style_helpers_from_mutable_mapping(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db.update({"x": 1, "y": 2})
    assert db.setdefault("x", 5) == 1 and db.pop("y") == 2 and "y" not in db
    db.set("secret", {"a": 1}, codec="pickle")
    db.clear()  # must not need to unpickle anything
    assert len(db) == 0 and list((db.path / "items").iterdir()) == []


def test_overwrite_replaces_value_and_removes_old_files(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["v"] = np.arange(10)
    first = payloads(db, "v")
    assert len(first) == 1
    db["v"] = np.arange(5.0)
    second = payloads(db, "v")
    assert len(second) == 1 and second != first
    assert not (db.path / "items" / "v" / first[0]).exists()
    np.testing.assert_array_equal(db["v"], np.arange(5.0))
    db["v"] = {"small": True}  # inline JSON: no payload folder at all
    assert payloads(db, "v") == [] and db["v"] == {"small": True}
    db["v"] = pd.DataFrame({"a": [1]})
    assert len(payloads(db, "v")) == 1
    assert sorted(p.name for p in (db.path / "items" / "v").iterdir()) == sorted(
        ["item.json", *payloads(db, "v")]
    )


def test_invalid_keys_are_refused_and_touch_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    for key in ["../x", "/abs/path", "a\0b", ("a", ".."), "", ("x", "item.json")]:
        with pytest.raises(InvalidKeyError, match="invalid key"):
            db[key] = 1
        with pytest.raises(InvalidKeyError):
            db[key]
    assert list((db.path / "items").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]


def test_metadata_records_codec_time_versions_host_and_user_meta(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    before = dt.datetime.now(dt.timezone.utc)
    db.set("rates", pd.DataFrame({"r": [1.0, 2.0]}), meta={"experiment": "barrel", "n": 2})
    meta = db.metadata("rates")
    created = dt.datetime.fromisoformat(meta["created"].replace("Z", "+00:00"))
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(seconds=1) <= created <= dt.datetime.now(dt.timezone.utc)
    assert meta["codec"] == "parquet"
    assert meta["neuroloom"] == neuroloom.__version__
    assert meta["packages"]["numpy"] == np.__version__
    assert meta["packages"]["pandas"] == pd.__version__
    assert {"pyarrow", "h5py", "dask"} <= set(meta["packages"])
    assert meta["host"] and meta["python"]
    assert meta["meta"] == {"experiment": "barrel", "n": 2}
    assert meta["size_bytes"] > 0
    assert meta["uri"] == f"neuroloom://{db.id}/rates"
    with pytest.raises(CodecError, match="not JSON-serialisable"):
        db.set("bad", 1, meta={"f": object()})
    assert "bad" not in db


def test_simulator_versions_recorded_once_imported(tmp_path: Path) -> None:
    brian2 = pytest.importorskip("brian2")
    db = Database(tmp_path / "db")
    db["x"] = 1
    assert db.metadata("x")["packages"]["brian2"] == brian2.__version__


def test_folder_is_managed_listed_and_deleted_with_its_key(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    folder = db.folder(("cells", "morphologies"))
    (folder / "cell.swc").write_text("1 1 0 0 0 5 -1\n")
    assert db.folder(("cells", "morphologies")) == folder  # same folder again
    assert db.create_managed_folder(("cells", "morphologies")) == folder
    assert folder.is_relative_to(db.path)
    assert list(db.keys()) == [("cells", "morphologies")]
    assert db[("cells", "morphologies")] == folder
    assert db.metadata(("cells", "morphologies"))["codec"] == "folder"
    db["plain"] = 1
    with pytest.raises(CodecError, match="not a folder"):
        db.folder("plain")
    del db[("cells", "morphologies")]
    assert not folder.exists() and len(db) == 1


def test_sub_database_is_listed_and_independent(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    sub = db.sub("run_0001")
    sub["spikes"] = np.arange(3)
    sub[("deeper", "x")] = 1
    assert db.create_sub_mdb("run_0001") == sub
    assert list(db.keys()) == ["run_0001"]  # the sub's items are its own
    assert sorted(map(str, sub.keys())) == ["('deeper', 'x')", "spikes"]
    assert isinstance(db["run_0001"], Database)
    np.testing.assert_array_equal(db["run_0001"]["spikes"], [0, 1, 2])
    assert sub.path.is_relative_to(db.path) and sub.id != db.id
    assert db.metadata("run_0001")["codec"] == "database"


def test_cached_computes_once_then_reads_from_disk(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    calls: list[tuple[int, int]] = []

    def expensive(a: int, *, b: int) -> pd.DataFrame:
        calls.append((a, b))
        return pd.DataFrame({"value": [a * b]})

    first = db.cached("result", expensive, 3, b=4)
    second = db.cached("result", expensive, 5, b=6)
    third = Database(db.path).maybe_calculate("result", expensive, 7, b=8)
    assert calls == [(3, 4)]
    assert first.equals(second) and first.equals(third) and int(first.value[0]) == 12


def test_cached_refuses_a_pickled_value_it_cannot_load(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db.set("p", {1: 2}, codec="pickle")
    with pytest.raises(PickleRefusedError):
        db.cached("p", dict)


def test_isf_spellings(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db.setitem("x", (1, 2), dumper="json")
    assert db["x"] == [1, 2] and db.get_id() == db.id


def test_vacuum_removes_dead_writers_debris_but_not_fresh_or_live_payloads(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["v"] = np.arange(3)
    item = db.path / "items" / "v"
    (live,) = payloads(db, "v")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_tmp = item / tmp_name().replace(f"-{os.getpid()}-", f"-{dead.stdout.strip()}-")
    dead_tmp.mkdir()
    own_tmp = item / tmp_name()  # this process is alive: its temporary folder stays
    own_tmp.mkdir()
    orphan = item / ".v-0123456789abcdef"
    orphan.mkdir()
    assert db.vacuum() == 1  # the dead writer's folder only; the orphan is too young
    assert not dead_tmp.exists() and own_tmp.exists() and orphan.exists()
    assert db.vacuum(min_age=0) == 1
    assert not orphan.exists() and (item / live).exists()
    np.testing.assert_array_equal(db["v"], np.arange(3))


def test_fsync_mode_stores_and_reads(tmp_path: Path) -> None:
    db = Database(tmp_path / "db", fsync=True)
    db["frame"] = pd.DataFrame({"a": [1, 2]})
    db["small"] = {"a": 1}
    assert Database(tmp_path / "db")["frame"]["a"].tolist() == [1, 2] and db["small"] == {"a": 1}
    assert db.sub("s")._fsync
