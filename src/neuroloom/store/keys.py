"""Validation of database keys and their mapping to relative paths.

A key is a string (one component) or a tuple of strings (a nested key, as in
in_silico_framework's ``ModelDataBase``). Each component becomes one directory
level below ``items/``, so every rule here exists to keep a key inside the
database directory and portable between file systems.
"""

from __future__ import annotations

import unicodedata

from neuroloom.errors import InvalidKeyError

Key = str | tuple[str, ...]
"""A database key: ``"name"`` or ``("group", "name")``."""

MAX_COMPONENT_BYTES = 200
MAX_DEPTH = 32
_FORBIDDEN = set('/\\:*?"<>|')
RESERVED = frozenset({"item.json"})
"""Names neuroloom keeps for its own files inside an item folder."""

RULES = (
    "a key is a non-empty string or a tuple of such strings; each part must be "
    f"at most {MAX_COMPONENT_BYTES} bytes of UTF-8, must not start with '.', "
    "must not contain '/', '\\', ':', '*', '?', '\"', '<', '>', '|', NUL or "
    "other control characters, must not end with a space or '.' and must not be "
    "'item.json'; "
    "use a tuple such as ('group', 'name') for nested keys"
)


def _check_component(part: object, key: object) -> str:
    if not isinstance(part, str):
        raise InvalidKeyError(
            f"invalid key {key!r}: part {part!r} is a {type(part).__name__}, not a str; {RULES}"
        )
    problem = None
    if part == "":
        problem = "a part is empty"
    elif part.startswith("."):
        problem = f"part {part!r} starts with '.' (reserved for neuroloom's own files)"
    elif any(ch in _FORBIDDEN for ch in part):
        problem = f"part {part!r} contains a path separator or a reserved character"
    elif any(unicodedata.category(ch) == "Cc" for ch in part):
        problem = f"part {part!r} contains NUL or another control character"
    elif part in RESERVED:
        problem = f"part {part!r} is the name of neuroloom's item description file"
    elif part.endswith((" ", ".")):
        problem = f"part {part!r} ends with a space or '.'"
    elif len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        problem = f"part {part[:20]!r}... is longer than {MAX_COMPONENT_BYTES} bytes"
    if problem:
        raise InvalidKeyError(f"invalid key {key!r}: {problem}; {RULES}")
    return part


def normalize_key(key: object) -> tuple[str, ...]:
    """Return ``key`` as a tuple of validated components.

    Parameters
    ----------
    key
        A string or a tuple of strings.

    Returns
    -------
    tuple of str
        The components, in order.

    Raises
    ------
    InvalidKeyError
        If the key breaks one of the rules in :data:`RULES`.
    """
    if isinstance(key, str):
        parts: tuple[object, ...] = (key,)
    elif isinstance(key, tuple):
        parts = key
    else:
        raise InvalidKeyError(f"invalid key {key!r}: a {type(key).__name__} is not a key; {RULES}")
    if not parts:
        raise InvalidKeyError(f"invalid key {key!r}: the tuple is empty; {RULES}")
    if len(parts) > MAX_DEPTH:
        raise InvalidKeyError(f"invalid key {key!r}: more than {MAX_DEPTH} levels")
    return tuple(_check_component(p, key) for p in parts)


def display_key(parts: tuple[str, ...]) -> Key:
    """Return the user-facing form of a normalised key (str for one part)."""
    return parts[0] if len(parts) == 1 else parts


def key_to_text(parts: tuple[str, ...]) -> str:
    """Return the key as ``a/b/c``, the form used in URIs and on the CLI."""
    return "/".join(parts)


def text_to_key(text: str) -> tuple[str, ...]:
    """Parse ``a/b/c`` (URI or CLI form) back into a validated key."""
    return normalize_key(tuple(text.strip("/").split("/")))
