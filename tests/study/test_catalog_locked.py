"""S11: a catalog held by another program gives StudyLockedError naming the file (issue 11)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import neuroloom as nl
from neuroloom.errors import StudyLockedError

HOLD = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute(sys.argv[2])
print("held", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> nl.Study:
    monkeypatch.setattr("neuroloom.study.catalog.BUSY_TIMEOUT", 0.5, raising=False)  # keep the test short
    s = nl.Study(tmp_path / "s", seed=1)
    s.params.add("x", 0)
    s.explore(nl.grid(x=[1, 2]))
    s.close()
    return s


def hold(file: Path, statement: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(file), statement],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(timeout=30)


def test_a_write_lock_held_by_another_program(study: nl.Study) -> None:
    for _ in hold(study.path / "catalog.sqlite", "BEGIN IMMEDIATE"):
        s = nl.Study(study.path)
        with pytest.raises(StudyLockedError, match=r"catalog\.sqlite is locked by another program"):
            s.explore(nl.grid(x=[3]))
        with pytest.raises(StudyLockedError, match=r"catalog\.sqlite"):
            s.run(lambda run: run.params.x, backend="serial", progress=False)
        s.close()
    s = nl.Study(study.path)  # released: everything works again
    s.run(lambda run: run.params.x, backend="serial", progress=False)
    assert s.results("return")["return"].tolist() == [1, 2]
