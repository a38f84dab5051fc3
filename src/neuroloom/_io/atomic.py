"""Write-then-rename helpers: a crash leaves the old state or the new one.

Temporary files and directories are named ``.tmp-<host>-<pid>-<random>`` next
to their destination, so a later writer can recognise and remove the debris of
a process that died (same host, process gone) without touching the work of a
process that is still running.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

from neuroloom._io.names import TMP_PREFIX as TMP_PREFIX  # re-exported

_HOST = socket.gethostname().replace("-", "_")


def tmp_name(suffix: str = "") -> str:
    """Return a fresh temporary name that identifies this host and process."""
    return f"{TMP_PREFIX}{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:12]}{suffix}"


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable (``fsync`` of the folder)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (temporary name, then rename).

    Parameters
    ----------
    path
        Destination file; its directory must exist.
    data
        The bytes to write.
    fsync
        Flush the file and its directory to stable storage before returning
        (survives power loss, not only a killed process).
    """
    tmp = path.with_name(tmp_name(path.suffix))
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        fsync_dir(path.parent)


def write_json(path: Path, value: Any, *, fsync: bool = False) -> None:
    """Write ``value`` as JSON to ``path`` atomically (valid JSON only: NaN/inf are refused)."""
    write_bytes(path, json.dumps(value, separators=(",", ":"), allow_nan=False).encode(), fsync=fsync)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` only if it does not exist yet.

    The content appears whole or not at all (hard link of a complete temporary
    file). Returns ``True`` if this call created the file, ``False`` if another
    process had already created it.
    """
    tmp = path.with_name(tmp_name(path.suffix))
    tmp.write_bytes(data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _owner_is_gone(name: str) -> bool:
    """Whether the temporary entry ``name`` belongs to a dead local process."""
    try:
        host, pid_text, _ = name[len(TMP_PREFIX) :].split("-", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != _HOST:
        return False  # another machine's process: cannot tell, leave it
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_tmp(directory: Path) -> int:
    """Remove temporary entries in ``directory`` left by dead processes.

    Returns the number of entries removed.
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.startswith(TMP_PREFIX) and _owner_is_gone(entry.name):
            remove_path(Path(entry.path))
            removed += 1
    return removed


def remove_path(path: Path) -> None:
    """Remove a file or a directory tree; a missing path is not an error, and nor is a failure.

    For clean-up of debris only; use :func:`delete_path` when the removal is
    what the user asked for.
    """
    try:
        delete_path(path)
    except OSError:
        pass


def delete_path(path: Path) -> None:
    """Remove a file or a directory tree; a missing path is not an error.

    Raises
    ------
    OSError
        The first error met (the rest of the tree is still removed where possible).
    """
    errors: list[OSError] = []

    def note(_func: Any, _name: Any, exc: BaseException) -> None:
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            errors.append(exc)

    if path.is_dir() and not path.is_symlink():
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=note)
        else:  # pragma: no cover - Python 3.10/3.11
            shutil.rmtree(path, onerror=lambda f, n, info: note(f, n, info[1]))
    else:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def tree_size(path: Path) -> int:
    """Total size in bytes of the files below ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def fsync_tree(path: Path) -> None:
    """Flush every file below ``path`` to stable storage."""
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
