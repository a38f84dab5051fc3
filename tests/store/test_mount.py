"""Database mount points: keys under a name served by another owner (store/mount.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuroloom.errors import ItemNotFoundError, NeuroloomError, StorageError
from neuroloom.store import Database
from neuroloom.store.mount import HeldValue


class RefusedWriteError(StorageError):
    """The error this test's mount gives for writes."""


class Shelf:
    """A mount keeping small values in a dict and larger ones as items of another folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.values: dict[str, Any] = {"answer": 42}

    def item_dir(self, rest: tuple[str, ...]) -> Path | None:
        return self.folder.joinpath("items", *rest) if rest else None

    def held(self, rest: tuple[str, ...]) -> HeldValue | None:
        if len(rest) != 1 or rest[0] not in self.values:
            return None
        value = self.values[rest[0]]
        return HeldValue(lambda _pickle, _options: value, lambda: {"codec": "shelf", "info": {"held": True}})

    def refuse(self, action: str, parts: tuple[str, ...]) -> NeuroloomError:
        return RefusedWriteError(f"cannot {action} {'/'.join(parts)}: the shelf is read-only")


@pytest.fixture()
def db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "db")
    db["own"] = 1
    shelf = Shelf(tmp_path / "elsewhere")
    Database.items_of(shelf.folder, owner_id=db.id, key_prefix=("shelf",))["trace"] = np.arange(5.0)
    db.mount("shelf", shelf)
    return db


def test_a_mount_serves_values_it_holds_and_items_of_its_folder(db: Database) -> None:
    assert db["shelf", "answer"] == 42
    assert db.get(("shelf", "answer")) == 42
    np.testing.assert_array_equal(db["shelf", "trace"], np.arange(5.0))
    np.testing.assert_array_equal(db.get(("shelf", "trace"), mmap=False), np.arange(5.0))
    assert ("shelf", "answer") in db and ("shelf", "trace") in db
    assert ("shelf", "missing") not in db
    assert db.get(("shelf", "missing"), "none") == "none"
    with pytest.raises(ItemNotFoundError, match="missing"):
        db["shelf", "missing"]


def test_metadata_and_uri_of_mounted_keys(db: Database) -> None:
    held = db.metadata(("shelf", "answer"))
    assert held["codec"] == "shelf" and held["info"] == {"held": True}
    assert held["uri"] == f"neuroloom://{db.id}/shelf/answer"
    assert db.metadata(("shelf", "trace"))["codec"] == "npy"
    assert db.uri(("shelf", "trace")) == f"neuroloom://{db.id}/shelf/trace"


def test_every_write_under_a_mount_is_refused_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    writes = [
        lambda: db.set(("shelf", "new"), 1),
        lambda: db.__setitem__(("shelf", "answer"), 2),
        lambda: db.__delitem__(("shelf", "trace")),
        lambda: db.folder(("shelf", "files")),
        lambda: db.sub(("shelf", "sub")),
        lambda: db.change_codec(("shelf", "trace"), "json"),
        lambda: db.cached(("shelf", "computed"), lambda: 3),
    ]
    for write in writes:
        with pytest.raises(RefusedWriteError, match="the shelf is read-only"):
            write()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert db["shelf", "answer"] == 42


def test_keys_outside_the_mount_and_listing_are_the_database_own(db: Database) -> None:
    db["other", "x"] = 2
    assert sorted(map(str, db)) == ["('other', 'x')", "own"]  # mounted keys are not listed
    assert len(db) == 2 and db["own"] == 1
    del db["own"]
    assert "own" not in db
