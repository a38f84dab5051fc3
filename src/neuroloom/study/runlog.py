"""Per-run logs: what a job prints and logs is kept with its run.

While a job runs, :func:`capture` sends ``sys.stdout``, ``sys.stderr`` and
Python ``logging`` records (level INFO and above, or lower if the root logger
is set lower) to a buffer instead of the terminal, so the coordinator's
progress bar stays clean with every backend. The text becomes the run's
internal result ``_log`` (in the catalog when short, in the run folder when
long) and is read back with ``study.run_log(index)``; a failed run's log
tail is added to its error text.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neuroloom.study.run import Run

LOG = "_log"
INLINE_LIMIT = 16_384  # characters kept in the catalog; longer logs go to the run folder
ERROR_TAIL = 4_000  # characters of a failed run's log added to its error text
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogSink(io.StringIO):
    """The text buffer a run's output goes to (not a terminal)."""

    def isatty(self) -> bool:
        return False


@contextmanager
def capture(sink: LogSink) -> Iterator[LogSink]:
    """Redirect stdout, stderr and logging into ``sink`` for the duration."""
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    if level == logging.NOTSET or level > logging.INFO:
        root.setLevel(logging.INFO)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink
    try:
        yield sink
    finally:
        sys.stdout, sys.stderr = saved
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def error_with_log(error: str, log: str) -> str:
    """A failed run's error text followed by the end of its log."""
    if not log:
        return error
    tail = log[-ERROR_TAIL:]
    cut = "...\n" if len(log) > ERROR_TAIL else ""
    return f"{error}\n--- run log (stdout, stderr, logging) ---\n{cut}{tail}"


def keep_log(run: Run, text: str) -> None:
    """Make ``text`` the run's ``_log`` result (nothing when the job printed nothing)."""
    if not text:
        return
    if len(text) <= INLINE_LIMIT:
        run._results[LOG] = ("v", text)
    else:
        run.save(LOG, text.encode("utf-8"), codec="bytes")
