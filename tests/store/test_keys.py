"""Key rules: what is a key, and every rule refused with a message naming key and rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroloom import Database
from neuroloom.errors import InvalidKeyError
from neuroloom.store.keys import display_key, key_to_text, normalize_key, text_to_key


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("rates", ("rates",)),
        (("run", "0001", "spikes"), ("run", "0001", "spikes")),
        ("with space and ünïcode", ("with space and ünïcode",)),
        ("v1.2", ("v1.2",)),
    ],
)
def test_valid_keys_normalise_to_tuples(key: object, parts: tuple[str, ...]) -> None:
    assert normalize_key(key) == parts
    assert display_key(parts) == key
    assert text_to_key(key_to_text(parts)) == parts


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("", "empty"),
        ((), "empty"),
        ("../x", "starts with '.'"),
        (("a", ".."), "starts with '.'"),
        ("/etc/passwd", "path separator"),
        ("a/b", "path separator"),
        ("C:\\x", "path separator"),
        ("a\0b", "NUL"),
        ("tab\there", "control character"),
        ("trailing.", "ends with a space or '.'"),
        ("trailing ", "ends with a space or '.'"),
        ("x" * 201, "longer than 200 bytes"),
        (("a", "item.json"), "item description file"),
        (("a", 3), "not a str"),
        (3, "not a key"),
        (["a", "b"], "not a key"),
        (tuple("abcdefghijklmnopqrstuvwxyzABCDEFGH"), "more than 32 levels"),
    ],
)
def test_invalid_keys_are_refused_naming_key_and_rule(key: object, rule: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        normalize_key(key)
    message = str(info.value)
    assert rule in message
    assert repr(key)[:30] in message
    assert isinstance(info.value, ValueError)  # also catchable as the builtin family


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=3))
def test_any_key_either_round_trips_inside_the_database_or_is_refused(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    root = tmp_path_factory.mktemp("keys")
    db = Database(root / "db")
    key = tuple(parts)
    try:
        db[key] = {"parts": parts}
    except InvalidKeyError as exc:
        assert repr(key)[:20] in str(exc)
        assert not (db.path / "items").exists() or not any((db.path / "items").iterdir())
        return
    assert key in db and db[key] == {"parts": parts}
    assert list(db.keys()) == [key[0] if len(key) == 1 else key]
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to((root / "db").resolve())
    del db[key]
    assert len(db) == 0
