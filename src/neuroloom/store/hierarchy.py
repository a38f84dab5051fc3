"""The key hierarchy rule: a key holds a value or is a prefix of other keys, never both.

Keys map to nested folders under ``items/``; an item is a folder with an
``item.json``. These helpers find, for a key, the item that is a proper
prefix of it and an item that lies below it, so the database can refuse a
write that would break the rule (or route it into a sub-database).
"""

from __future__ import annotations

import os
from pathlib import Path

ITEM_FILE = "item.json"


def item_prefix(items: Path, parts: tuple[str, ...]) -> int:
    """Length of the shortest proper prefix of ``parts`` that is an item, or 0 for none."""
    folder = items
    for depth, part in enumerate(parts[:-1], start=1):
        folder = folder / part
        if (folder / ITEM_FILE).is_file():
            return depth
        if not folder.is_dir():
            return 0
    return 0


def deeper_item(items: Path, parts: tuple[str, ...]) -> tuple[str, ...] | None:
    """One item strictly below ``parts`` (depth first, sorted), or None."""
    stack = [(items.joinpath(*parts), parts)]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                children = sorted(
                    (e.name for e in it if not e.name.startswith(".") and e.is_dir()), reverse=True
                )
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in children:
            if os.path.isfile(os.path.join(folder, name, ITEM_FILE)):
                return (*prefix, name)
            stack.append((folder / name, (*prefix, name)))
    return None
