"""Descriptors held for their flock are closed in forked children, and only those."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from neuroloom._io import held_files
from neuroloom.study.lock import StudyLock


def child_status(check: object) -> int:
    """Fork; the child runs ``check`` (True: exit 0) and the parent returns its exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            code = 0 if check() else 1  # type: ignore[operator]
        except BaseException:
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_a_held_descriptor_is_closed_in_the_child_and_its_flock_goes_with_the_parent(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "alive", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    held_files.hold(fd)
    try:
        assert child_status(lambda: not is_open(fd)) == 0
        # the child's copy is gone: once the parent closes its own, another open file can lock
        held_files.release(fd)
        os.close(fd)
        other = os.open(tmp_path / "alive", os.O_RDWR)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(other)
    finally:
        held_files.release(fd)


def test_a_reused_descriptor_number_is_left_open(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "alive", os.O_RDWR | os.O_CREAT, 0o644)
    held_files.hold(fd)
    os.close(fd)  # closed behind held_files' back (as a crash test does)
    read_end, write_end = os.pipe()
    if read_end != fd:
        os.dup2(read_end, fd)  # the number now names a pipe, as a pool's call queue may
    try:
        os.write(write_end, b"x")
        assert child_status(lambda: os.read(fd, 1) == b"x") == 0
    finally:
        held_files.release(fd)
        for number in {fd, read_end, write_end}:  # the pipe may have taken the number itself
            os.close(number)


def test_a_forked_child_does_not_hold_its_parents_study_lock(tmp_path: Path) -> None:
    with StudyLock(tmp_path, "test"):
        (depth, fd) = StudyLock._held[tmp_path]
        assert depth == 1
        assert child_status(lambda: tmp_path not in StudyLock._held and not is_open(fd)) == 0
        assert is_open(fd)  # the parent keeps it
    assert not is_open(fd)
