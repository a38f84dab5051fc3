"""Clean-up of what crashed writers leave behind (``Database.vacuum``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neuroloom._io.atomic import remove_path, remove_stale_tmp
from neuroloom._io.names import ITEM_FILE, PAYLOAD_PREFIX

ReadRecord = Callable[[tuple[str, ...]], "dict[str, Any] | None"]


def vacuum(items: Path, read_record: ReadRecord, min_age: float = 600.0) -> int:
    """Remove temporary folders of dead local processes and unreferenced payloads.

    Parameters
    ----------
    items
        The item folder of the database to clean.
    read_record
        Reads the ``item.json`` record of a key (its parts), ``None`` if unreadable.
    min_age
        Payload folders that no ``item.json`` refers to are removed only when
        older than this many seconds, so a writer that is about to publish
        its payload is never disturbed.

    Returns
    -------
    int
        How many entries were removed.
    """
    removed = 0
    cutoff = time.time() - min_age
    for root, dirs, files in os.walk(items):
        here = Path(root)
        removed += remove_stale_tmp(here)
        referenced = None
        if ITEM_FILE in files:
            record = read_record(here.relative_to(items).parts)
            referenced = record.get("payload") if record else None
        for name in list(dirs):
            stale = name.startswith(PAYLOAD_PREFIX) and name != referenced
            try:
                old_enough = stale and os.stat(here / name).st_mtime < cutoff
            except FileNotFoundError:
                continue  # removed meanwhile
            if old_enough:
                remove_path(here / name)
                removed += 1
        dirs[:] = [d for d in dirs if not d.startswith(".")]
    return removed
