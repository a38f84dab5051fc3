"""Descriptors whose ``flock`` belongs to this process, not to its forked children.

A study's coordinator lock and its ``coordinator.alive`` marker are ``flock``'ed
descriptors: the lock goes when every copy of the descriptor is closed. A
forked child (a pool worker, or any ``os.fork`` of the coordinator) gets a copy
and would keep the lock alive after the coordinator died. Every descriptor
registered with :func:`hold` is therefore closed in each forked child.

A descriptor number can be reused once the file behind it is closed by some
other path than :func:`release` (a crash test, a library closing every
descriptor). The child closes a number only while it still names the file it
was registered with (same device and inode): closing a reused number would
cut, say, the pipe a pool worker talks to its parent through.
"""

from __future__ import annotations

import os

__all__ = ["close_inherited", "hold", "release"]

_HELD: dict[int, tuple[int, int]] = {}  # fd -> (st_dev, st_ino) of the file it was opened on


def hold(fd: int) -> None:
    """Register ``fd``: forked children close their copy of it."""
    info = os.fstat(fd)
    _HELD[fd] = (info.st_dev, info.st_ino)


def release(fd: int) -> None:
    """Forget ``fd`` (call it before closing the descriptor)."""
    _HELD.pop(fd, None)


def close_inherited() -> None:
    """In a forked child: close the registered descriptors that still name their file."""
    for fd, identity in list(_HELD.items()):
        try:
            info = os.fstat(fd)
        except OSError:
            continue  # already closed
        if (info.st_dev, info.st_ino) == identity:
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=close_inherited)
