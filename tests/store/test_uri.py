"""``neuroloom://`` URIs: they resolve where the database is, after moves and copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom
from neuroloom import Database
from neuroloom.errors import CodecError, ItemNotFoundError, PickleRefusedError, UnresolvedURIError
from neuroloom.store import registry


def build(path: Path) -> tuple[Database, dict[str, str]]:
    db = Database(path)
    db["frame"] = pd.DataFrame({"rate": [1.0, 2.0]})
    db[("nested", "params")] = {"tau_m": 20.0}
    (db.folder("morph") / "cell.swc").write_text("1 1 0 0 0 5 -1\n")
    sub = db.sub("run")
    sub[("spikes", "exc")] = np.arange(4)
    uris = {
        "frame": db.uri("frame"),
        "params": db.uri(("nested", "params")),
        "folder": db.uri("morph"),
        "file": db.uri("morph", "cell.swc"),
        "sub": db.uri("run"),
        "sub item": sub.uri(("spikes", "exc")),
    }
    return db, uris


def check(uris: dict[str, str], where: Path, **kwargs: object) -> None:
    frame = neuroloom.resolve(uris["frame"], **kwargs)
    assert list(frame.rate) == [1.0, 2.0]
    assert neuroloom.resolve(uris["params"], **kwargs) == {"tau_m": 20.0}
    folder = neuroloom.resolve(uris["folder"], **kwargs)
    assert folder.is_dir() and folder.is_relative_to(where)
    cell = neuroloom.resolve(uris["file"], **kwargs)
    assert cell.read_text().startswith("1 1") and cell.is_relative_to(where)
    sub = neuroloom.resolve(uris["sub"], **kwargs)
    assert isinstance(sub, Database) and sub.path.is_relative_to(where)
    np.testing.assert_array_equal(neuroloom.resolve(uris["sub item"], **kwargs), np.arange(4))


def test_uri_form_names_db_id_and_key(tmp_path: Path) -> None:
    db, uris = build(tmp_path / "db")
    assert uris["frame"] == f"neuroloom://{db.id}/frame"
    assert uris["params"] == f"neuroloom://{db.id}/nested/params"
    assert uris["file"] == f"neuroloom://{db.id}/morph/cell.swc"
    assert uris["sub item"] == f"neuroloom://{db.id}/run/spikes/exc"  # root id, full key path
    with pytest.raises(ItemNotFoundError):
        db.uri("missing")
    check(uris, tmp_path / "db")
    assert neuroloom.resolve(f"neuroloom://{db.id}") == db


def test_every_stored_path_is_relative(tmp_path: Path) -> None:
    db, _ = build(tmp_path / "db")
    for record in db.path.rglob("*.json"):
        assert str(tmp_path) not in record.read_text(), record


def test_resolve_after_move_and_reopen(tmp_path: Path) -> None:
    _, uris = build(tmp_path / "a" / "db")
    shutil.move(tmp_path / "a" / "db", tmp_path / "b")
    Database(tmp_path / "b")  # opening it at its new place registers it there
    check(uris, tmp_path / "b")


def test_resolve_after_move_with_search(tmp_path: Path) -> None:
    _, uris = build(tmp_path / "a" / "db")
    shutil.move(tmp_path / "a" / "db", tmp_path / "far" / "x" / "y")
    with pytest.raises(UnresolvedURIError, match="not where it was last opened"):
        neuroloom.resolve(uris["frame"])
    check(uris, tmp_path / "far", search=[tmp_path / "far"])
    check(uris, tmp_path / "far")  # found once, registered at the new place


def test_resolve_after_move_with_neuroloom_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, uris = build(tmp_path / "a" / "db")
    shutil.move(tmp_path / "a" / "db", tmp_path / "store" / "moved")
    monkeypatch.setenv("NEUROLOOM_PATH", f"{tmp_path / 'nothing'}:{tmp_path / 'store'}")
    check(uris, tmp_path / "store")


def test_resolve_in_a_copy_after_the_original_is_gone(tmp_path: Path) -> None:
    db, uris = build(tmp_path / "orig")
    shutil.copytree(db.path, tmp_path / "copy")
    check(uris, tmp_path / "orig")  # the original is still registered
    shutil.rmtree(db.path)
    copy = Database(tmp_path / "copy")
    assert copy.id == db.id and len(copy) == 4
    check(uris, tmp_path / "copy")
    assert list(copy["frame"].rate) == [1.0, 2.0]


def test_resolve_with_an_empty_registry_searches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, uris = build(tmp_path / "data" / "db")
    monkeypatch.setenv("NEUROLOOM_HOME", str(tmp_path / "fresh-home"))  # another user's machine
    with pytest.raises(UnresolvedURIError):
        neuroloom.resolve(uris["frame"])
    check(uris, tmp_path / "data", search=[tmp_path])
    assert (registry.registry_dir() / f"{uris['frame'].split('/')[2]}.path").is_file()


@pytest.mark.parametrize(
    ("uri", "error", "match"),
    [
        ("http://x/y", UnresolvedURIError, "not a neuroloom URI"),
        ("neuroloom://", UnresolvedURIError, "no database id"),
        ("neuroloom://0123abcd/x", UnresolvedURIError, "not where it was last opened"),
    ],
)
def test_malformed_or_unknown_uris(uri: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        neuroloom.resolve(uri)


def test_bad_paths_inside_a_uri(tmp_path: Path) -> None:
    db, uris = build(tmp_path / "db")
    with pytest.raises(UnresolvedURIError, match="invalid key"):
        neuroloom.resolve(f"neuroloom://{db.id}/morph/../../etc")
    with pytest.raises(ItemNotFoundError, match="no item"):
        neuroloom.resolve(f"neuroloom://{db.id}/nothing/here")
    with pytest.raises(CodecError, match="not a folder"):
        neuroloom.resolve(uris["frame"] + "/inside")


def test_resolve_pickled_item_needs_opt_in(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db.set("p", {"a": 1}, codec="pickle")
    with pytest.raises(PickleRefusedError):
        neuroloom.resolve(db.uri("p"))
    assert neuroloom.resolve(db.uri("p"), allow_pickle=True) == {"a": 1}
