"""One coordinator per study: ``coordinator.lock``, held with ``flock``.

The holder keeps an exclusive ``flock`` on the lock file and writes its pid,
host, start time and purpose into it. The kernel drops the ``flock`` when the
holder dies, however it dies, so taking over a lock left by a dead process is
atomic: of several processes racing for it, exactly one gets the ``flock``.
A holder removes the file (still holding the ``flock``) when it is done; a
process that got the ``flock`` on a file that was removed meanwhile (its inode
is no longer the one at the path) starts again.

A record left by a process on another host cannot be checked from here (``flock``
may not reach across hosts on a network file system): it is refused with
:class:`~neuroloom.errors.StudyLockedError`, which says which file to delete.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from neuroloom._io import held_files
from neuroloom._io.names import LOCK_FILE as LOCK_FILE  # re-exported
from neuroloom._io.processes import MAIN_GUARD, spawned_import
from neuroloom.errors import StudyLockedError

_HOST = socket.gethostname()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse(data: bytes) -> dict[str, object] | None:
    try:
        info = json.loads(data)
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def held_by_someone(path: Path) -> bool:
    """Whether some process holds the ``flock`` of ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_lock(study_path: Path) -> dict[str, object] | None:
    """The owner record of the study's lock, or None if it is free (no file, an
    empty one, or the record of a process on this host that no longer holds it)."""
    path = study_path / LOCK_FILE
    try:
        info = _parse(path.read_bytes())
    except OSError:
        return None
    if info is None:
        return None
    if info.get("host") == _HOST and not held_by_someone(path):
        return None
    return info


def lock_is_live(info: dict[str, object]) -> bool:
    """Whether the process named in a lock record still runs (other host: assumed so)."""
    if info.get("host") != _HOST:
        return True
    pid = info.get("pid")
    return isinstance(pid, int) and _alive(pid)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _read_fd(fd: int) -> dict[str, object] | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return _parse(data) if data.strip() else None


class StudyLock:
    """Context manager holding the coordinator lock of a study.

    Re-entrant within one process (a ``then=`` callback may call ``explore``).
    """

    _held: dict[Path, tuple[int, int]] = {}  # study path -> (depth, fd)

    def __init__(self, study_path: Path, purpose: str) -> None:
        self.path = study_path / LOCK_FILE
        self.study_path = study_path
        self.purpose = purpose

    def _refuse(self, info: dict[str, object] | None) -> StudyLockedError:
        if spawned_import():  # the study's own coordinator holds the lock: the script lacks its main guard
            return StudyLockedError(f"study {self.study_path} is running: {MAIN_GUARD}")
        if info is None:
            return StudyLockedError(
                f"study {self.study_path} is in use by another process; wait for it to finish "
                f"(the lock is {self.path})"
            )
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(str(info.get("since", 0) or 0))))
        return StudyLockedError(
            f"study {self.study_path} is in use by process {info.get('pid')} on host "
            f"{info.get('host')!r} ({info.get('purpose')}, since {since}); wait for it to "
            f"finish, or if that process is gone for sure, delete {self.path}"
        )

    def _try(self) -> int | None:
        """The fd holding the lock, or None if the file was replaced meanwhile."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self._refuse(read_lock(self.study_path)) from None
        if not _same_file(fd, self.path):
            os.close(fd)  # its holder removed it as we opened it: start again
            return None
        previous = _read_fd(fd)
        record: dict[str, object] = {
            "pid": os.getpid(),
            "host": _HOST,
            "since": time.time(),
            "purpose": self.purpose,
        }
        if previous is not None:
            if previous.get("host") != _HOST:
                os.close(fd)
                raise self._refuse(previous)
            # we hold the flock, so its owner is gone (whatever its pid shows now)
            record["took_over_from"] = {"pid": previous.get("pid"), "live": lock_is_live(previous)}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return fd

    def __enter__(self) -> StudyLock:
        held = self._held.get(self.study_path)
        if held is not None:
            self._held[self.study_path] = (held[0] + 1, held[1])
            return self
        for _ in range(100):
            fd = self._try()
            if fd is not None:
                held_files.hold(fd)
                self._held[self.study_path] = (1, fd)
                return self
        raise StudyLockedError(f"could not take the lock {self.path}; try again")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        depth, fd = self._held.get(self.study_path, (1, -1))
        if depth > 1:
            self._held[self.study_path] = (depth - 1, fd)
            return
        self._held.pop(self.study_path, None)
        if fd >= 0:
            held_files.release(fd)
            if _same_file(fd, self.path):
                self.path.unlink(missing_ok=True)  # while still holding the flock
            os.close(fd)


# a forked child does not hold its parent's lock (held_files closes its copy of the descriptor)
os.register_at_fork(after_in_child=StudyLock._held.clear)
