"""One coordinator per study: a lock file holding the owner's pid and host.

The lock is created atomically (hard link of a complete file). A lock left by a
process that died on this host is taken over; a lock held by a live process, or
by another host, is refused with :class:`~neuroloom.errors.StudyLockedError`.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from neuroloom._io.atomic import create_exclusive
from neuroloom._io.names import LOCK_FILE as LOCK_FILE  # re-exported
from neuroloom.errors import StudyLockedError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock(study_path: Path) -> dict[str, object] | None:
    """The owner record of the study's lock, or None if it is free."""
    try:
        data = json.loads((study_path / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def lock_is_live(info: dict[str, object]) -> bool:
    """Whether the process named in a lock record still runs (other host: assumed so)."""
    if info.get("host") != socket.gethostname():
        return True
    pid = info.get("pid")
    return isinstance(pid, int) and _alive(pid)


class StudyLock:
    """Context manager holding the coordinator lock of a study.

    Re-entrant within one process (a ``then=`` callback may call ``explore``).
    """

    _held: dict[Path, int] = {}

    def __init__(self, study_path: Path, purpose: str) -> None:
        self.path = study_path / LOCK_FILE
        self.study_path = study_path
        self.purpose = purpose

    def __enter__(self) -> StudyLock:
        if self._held.get(self.study_path):
            self._held[self.study_path] += 1
            return self
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.time(),
            "purpose": self.purpose,
        }
        data = json.dumps(record).encode()
        for _ in range(3):
            if create_exclusive(self.path, data):
                self._held[self.study_path] = 1
                return self
            info = read_lock(self.study_path)
            if info is None:
                # torn or vanished: a lock file is written whole, so it is being removed
                time.sleep(0.05)
                if self.path.exists() and read_lock(self.study_path) is None:
                    self.path.unlink(missing_ok=True)
                continue
            if lock_is_live(info):
                since = time.strftime(
                    "%Y-%m-%d %H:%M:%S", time.localtime(float(str(info.get("since", 0) or 0)))
                )
                raise StudyLockedError(
                    f"study {self.study_path} is in use by process {info.get('pid')} on host "
                    f"{info.get('host')!r} ({info.get('purpose')}, since {since}); wait for it to "
                    f"finish, or if that process is gone for sure, delete {self.path}"
                )
            self.path.unlink(missing_ok=True)  # its owner died: take over
        raise StudyLockedError(f"could not take the lock {self.path}; try again")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        count = self._held.get(self.study_path, 0) - 1
        if count > 0:
            self._held[self.study_path] = count
            return
        self._held.pop(self.study_path, None)
        self.path.unlink(missing_ok=True)
