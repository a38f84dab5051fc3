"""Where databases live: ``neuroloom://<db-id>/<key>`` URIs and their lookup.

Each database directory holds its id in ``neuroloom.json``. Opening a
database records ``id -> directory`` in a per-user registry (one small file
per id, written atomically, so concurrent processes never corrupt it and no
lock is needed, unlike an sqlite index on NFS). When a database was moved and
not opened since, :func:`resolve` searches the directories named in
``search=`` or in the ``NEUROLOOM_PATH`` environment variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from neuroloom._io.atomic import write_bytes
from neuroloom._io.names import MARKER as MARKER  # re-exported

SCHEME = "neuroloom://"


def registry_dir() -> Path:
    """The registry folder: ``$NEUROLOOM_HOME/registry`` or the XDG data dir."""
    home = os.environ.get("NEUROLOOM_HOME")
    if home:
        return Path(home) / "registry"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "neuroloom" / "registry"


def register(db_id: str, path: Path) -> None:
    """Record that database ``db_id`` lives at ``path`` (best effort)."""
    folder = registry_dir()
    entry = folder / f"{db_id}.path"
    text = str(path.resolve())
    try:
        if entry.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(entry, text.encode("utf-8"))
    except OSError:
        pass  # a read-only home must not stop anyone from using a database


def read_id(directory: Path) -> str | None:
    """Return the id stored in ``directory``'s marker, or None."""
    try:
        with open(directory / MARKER, encoding="utf-8") as fh:
            value = json.load(fh).get("id")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _search(db_id: str, roots: Iterable[Path], depth: int = 4) -> Path | None:
    for root in roots:
        frontier = [root]
        for _ in range(depth + 1):
            next_level: list[Path] = []
            for folder in frontier:
                found_id = read_id(folder)
                if found_id == db_id:
                    return folder
                if found_id is not None:
                    continue  # another database: its items are not databases
                try:
                    next_level.extend(
                        Path(e.path)
                        for e in os.scandir(folder)
                        if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
                    )
                except OSError:
                    continue
            frontier = next_level
    return None


def locate(db_id: str, search: Iterable[str | os.PathLike[str]] = ()) -> Path | None:
    """Find the directory of database ``db_id``.

    Looks at the registered path first, then searches ``search`` and the
    directories in ``NEUROLOOM_PATH`` (up to four levels deep). A database
    found by searching is registered again at its new place.
    """
    entry = registry_dir() / f"{db_id}.path"
    try:
        known = Path(entry.read_text(encoding="utf-8"))
    except OSError:
        known = None
    if known is not None and read_id(known) == db_id:
        return known
    roots = [Path(p) for p in search]
    roots += [Path(p) for p in os.environ.get("NEUROLOOM_PATH", "").split(os.pathsep) if p]
    found = _search(db_id, roots)
    if found is not None:
        register(db_id, found)
    return found


def split_uri(uri: str) -> tuple[str, list[str]]:
    """Split ``neuroloom://<id>/<a>/<b>`` into ``(id, ["a", "b"])``."""
    if not uri.startswith(SCHEME):
        raise ValueError(f"{uri!r} is not a neuroloom URI (it must start with {SCHEME!r})")
    db_id, _, rest = uri[len(SCHEME) :].partition("/")
    if not db_id:
        raise ValueError(f"{uri!r} has no database id after {SCHEME!r}")
    return db_id, [p for p in rest.split("/") if p]
