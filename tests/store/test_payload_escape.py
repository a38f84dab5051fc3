"""S1: the ``payload`` of ``item.json`` is never trusted as a path (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neuroloom import Database
from neuroloom.errors import CorruptItemError
from neuroloom.store.uri import resolve

CRAFTED = ["../../../victim", "../../../victim/.v-0", "/abs/victim", ".v-0/../../x", "", ".tmp-x"]


def craft(db: Database, key: str, codec: str, payload: object) -> Path:
    """Point ``key``'s ``item.json`` at ``payload`` and return the folder it would reach."""
    item = db.path / "items" / key / "item.json"
    record = json.loads(item.read_text())
    record["codec"] = codec
    record["payload"] = payload
    item.write_text(json.dumps(record))
    return (item.parent / str(payload)).resolve()


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    return folder


@pytest.mark.parametrize("payload", CRAFTED)
@pytest.mark.parametrize("codec", ["npy", "folder", "database"])
def test_crafted_payload_is_refused_and_nothing_outside_is_touched(
    tmp_path: Path, victim: Path, payload: str, codec: str
) -> None:
    db = Database(tmp_path / "db")  # items/k/../../../victim is tmp_path/victim
    db["k"] = np.arange(3.0)
    craft(db, "k", codec, payload)
    with pytest.raises(CorruptItemError, match="payload"):
        db["k"]
    with pytest.raises(CorruptItemError, match="payload"):
        resolve(f"neuroloom://{db.id}/k")
    db["k"] = np.arange(4.0)  # an overwrite removes only its own old payload
    craft(db, "k", codec, payload)
    del db["k"]  # a damaged record: only the item's own .v-* folders go
    assert (victim / "precious.txt").read_text() == "keep me"
    assert "k" not in db


def test_own_payload_names_still_work(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db["k"] = np.arange(3.0)
    folder = db.folder("f")
    (folder / "x.txt").write_text("x")
    assert db["k"].tolist() == [0.0, 1.0, 2.0]
    assert resolve(f"neuroloom://{db.id}/f/x.txt").read_text() == "x"
    assert db.sub("s").path.parent.parent == db.path / "items"
