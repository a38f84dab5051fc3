"""The record of one finished run, as a worker sends it to the coordinator."""

from __future__ import annotations

from typing import Any, NamedTuple


class Outcome(NamedTuple):
    """The result of one run as sent back to the coordinator (and journaled)."""

    idx: int
    ok: bool
    start: float
    end: float
    host: str
    pid: int
    error: str | None
    results: list[tuple[str, str, Any]]
