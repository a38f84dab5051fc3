"""Clean-up of what crashed writers leave behind (``Database.vacuum``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from neuroloom._io.atomic import remove_path, remove_stale_tmp
from neuroloom._io.names import ITEM_FILE, PAYLOAD_PREFIX

if TYPE_CHECKING:
    from neuroloom.store.database import Database


def vacuum(db: Database, min_age: float = 600.0) -> int:
    """Remove temporary folders of dead local processes and unreferenced payloads.

    Parameters
    ----------
    db
        The database to clean.
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
    items = db._items
    for root, dirs, files in os.walk(items):
        here = Path(root)
        removed += remove_stale_tmp(here)
        referenced = None
        if ITEM_FILE in files:
            record = db._quiet_record(here.relative_to(items).parts)
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
