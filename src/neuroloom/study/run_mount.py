"""``RunsMount``: the keys ``runs/<run>/<name>`` of a study's item store.

A run's saved values live in three places, and the study's item store reads
each through this mount (:mod:`neuroloom.store.mount`):

- scalars, short JSON values and small arrays: rows of the catalog;
- other small values: the run's archive ``<run folder>/items.zip``;
- large values (and opt-in codecs): item folders ``<run folder>/items/<name>/``.

Writes are refused: a run's values are written by its job (``run.save``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuroloom._io.names import ITEMS_DIR
from neuroloom.errors import CodecError, ItemNotFoundError, NeuroloomError, StudyError
from neuroloom.store.keys import display_key
from neuroloom.store.mount import HeldValue
from neuroloom.study.catalog import Catalog
from neuroloom.study.run import run_folder, run_index
from neuroloom.study.run_pack import PACK_FILE, PACK_KIND, NotPackedError, packed_record, read_packed
from neuroloom.study.run_table import decode_scalar

CATALOG_CODEC = "catalog"
"""The codec a value kept in the catalog shows in ``study.metadata(key)``."""


class RunsMount:
    """Serves ``runs/<run>/<name>`` of the study at ``path`` from run folders, archives and ``catalog``."""

    def __init__(self, path: Path, catalog: Catalog) -> None:
        self.path = path
        self.catalog = catalog

    def _run(self, rest: tuple[str, ...], depth: int) -> int | None:
        """The run index of ``rest`` when it is ``(<run>, <name>, ...)`` of at least ``depth`` parts."""
        if len(rest) < depth:
            return None
        return run_index(rest[0])

    def item_dir(self, rest: tuple[str, ...]) -> Path | None:
        """``<run folder>/items/<name>/...`` for ``(<run>, <name>, ...)``."""
        index = self._run(rest, 2)
        if index is None:
            return None
        return run_folder(self.path, index).joinpath(ITEMS_DIR, *rest[1:])

    def held(self, rest: tuple[str, ...]) -> HeldValue | None:
        """A run value the catalog holds, or one in the run's archive; None for item folders."""
        index = self._run(rest, 2)
        if index is None or len(rest) != 2:
            return None
        name = rest[1]
        row = self.catalog.result(name, index)
        if row is not None and row[0] == "item":
            return None  # an item folder (a name stored there left the archive)
        if row is not None and row[0] != PACK_KIND:
            return _catalog_value(rest, row[0], row[1])
        folder = run_folder(self.path, index)
        if row is None:  # not recorded in the catalog yet: look in the archive
            record = packed_record(folder, name)
            if record is None:
                return None
        else:
            record = None

        def read(allow_pickle: bool, options: dict[str, Any]) -> Any:
            try:
                return read_packed(folder, name, allow_pickle, options)
            except NotPackedError:
                raise ItemNotFoundError(
                    f"item {display_key(('runs', *rest))!r} left the archive of {folder} while being "
                    "read (the run stored it again); read it again"
                ) from None

        def describe() -> dict[str, Any]:
            found = record if record is not None else packed_record(folder, name)
            if found is None:
                raise ItemNotFoundError(
                    f"item {display_key(('runs', *rest))!r}: the catalog places it in {folder / PACK_FILE}, "
                    "which does not hold it; the run folder was changed by hand: run the job again "
                    "(study.run(job, retry_failed=True) after marking it failed) or delete the study"
                )
            return found

        return HeldValue(read, describe)

    def refuse(self, action: str, parts: tuple[str, ...]) -> NeuroloomError:
        """Writes under ``runs`` are the runs' own: say how a value gets there."""
        return StudyError(
            f"cannot {action} {display_key(parts)!r}: keys starting with 'runs' hold the runs' own "
            "results; store a run result with run.save(name, value) inside the job, or use another key"
        )


def _catalog_value(rest: tuple[str, ...], kind: str, stored: Any) -> HeldValue:
    """A run result kept in the catalog as an item-like value (no options, no files)."""
    value = decode_scalar(kind, stored)

    def read(allow_pickle: bool, options: dict[str, Any]) -> Any:
        if options:
            raise CodecError(
                f"item {display_key(('runs', *rest))!r} is a small value kept in the study's catalog; "
                f"it takes no option {', '.join(map(repr, sorted(options)))}"
            )
        return value

    record = {"codec": CATALOG_CODEC, "info": {"kind": kind}, "meta": {}, "size": None}
    return HeldValue(read, lambda: record)
