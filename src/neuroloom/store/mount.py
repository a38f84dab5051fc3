"""Mount points: keys of a database that another owner serves.

A :class:`~neuroloom.store.database.Database` serves the keys ``<name>/...``
of a mount point through a :class:`Mount` instead of its own ``items/``
folder. A study mounts ``runs``: ``study["runs", "run_00000003", "rate"]``
is read from that run's folder, from the run's item archive or from the
catalog, while writes are refused (a run's values are written by its job).

The database keeps every rule of its own (key checks, codecs, pickle opt-in,
retries, URIs); a mount only says where a key's item is, or hands over a value
it keeps elsewhere together with a record describing it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from neuroloom.errors import NeuroloomError


class HeldValue:
    """A value a mount keeps outside item folders: how to read it and the record describing it.

    Parameters
    ----------
    read
        ``read(allow_pickle, options) -> value``.
    describe
        ``describe() -> record``: what ``item.json`` would hold, at least
        ``codec``; ``info``, ``meta``, ``created`` and ``size`` when known
        (``Database.metadata`` shows them). Called only when the record is
        asked for (a plain read never needs it), then kept.
    """

    __slots__ = ("_describe", "_record", "read")

    def __init__(
        self,
        read: Callable[[bool, dict[str, Any]], Any],
        describe: Callable[[], dict[str, Any]],
    ) -> None:
        self.read = read
        self._describe = describe
        self._record: dict[str, Any] | None = None

    @property
    def record(self) -> dict[str, Any]:
        """The record describing the value (see ``describe``)."""
        if self._record is None:
            self._record = self._describe()
        return self._record


class Mount(Protocol):
    """What a database asks of the owner of a mount point (``rest``: the key below the point)."""

    def item_dir(self, rest: tuple[str, ...]) -> Path | None:
        """The item folder of ``rest`` (it may not exist), or None if the mount has none for it."""

    def held(self, rest: tuple[str, ...]) -> HeldValue | None:
        """The value of ``rest`` kept outside item folders, or None if it is not held that way."""

    def refuse(self, action: str, parts: tuple[str, ...]) -> NeuroloomError:
        """The error for a write (``action``: store, delete, ...) to ``parts``: why, and what to do."""
