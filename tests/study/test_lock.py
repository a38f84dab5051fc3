"""The coordinator lock: taking over a stale lock is atomic.

Several processes race for a lock left by a dead process, each pausing at the
race point (between finding the old owner gone and writing its own record):
exactly one may hold the lock, the others get StudyLockedError.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neuroloom.errors import StudyLockedError
from neuroloom.study.lock import LOCK_FILE, StudyLock, read_lock

RACER = """
import sys, time
from pathlib import Path
import neuroloom.study.lock as lock
from neuroloom.errors import StudyLockedError

study, out, start = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
real = lock.lock_is_live


def slow_is_live(info):  # the race point: the old owner is found gone here
    time.sleep(0.4)
    return real(info)


lock.lock_is_live = slow_is_live
while time.time() < start:
    time.sleep(0.001)
try:
    with lock.StudyLock(study, "racing"):
        t0 = time.time()
        time.sleep(1.0)
        out.write_text(f"held {t0} {time.time()}")
except StudyLockedError as exc:
    out.write_text(f"refused {exc}")
"""


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def stale_lock(study: Path) -> None:
    record = {"pid": dead_pid(), "host": socket.gethostname(), "since": time.time() - 60, "purpose": "x"}
    (study / LOCK_FILE).write_text(json.dumps(record))


@pytest.mark.slow
def test_stale_lock_takeover_is_atomic(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    stale_lock(study)
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    start = time.time() + 3.0  # every racer is up and waiting by then
    outs = [tmp_path / f"out{i}" for i in range(4)]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(study), str(out), str(start)]) for out in outs
    ]
    for proc in procs:
        assert proc.wait(60) == 0
    results = [out.read_text() for out in outs]
    held = [r for r in results if r.startswith("held")]
    assert len(held) == 1, results
    assert all("in use by" in r for r in results if r.startswith("refused")), results
    assert not (study / LOCK_FILE).exists()  # released by its holder


def test_lock_reentrant_refused_and_released(tmp_path: Path) -> None:
    study = tmp_path / "s"
    study.mkdir()
    stale_lock(study)
    with StudyLock(study, "outer"):
        info = read_lock(study)
        assert info is not None and info["pid"] == os.getpid() and info["purpose"] == "outer"
        assert info["took_over_from"]["live"] is False  # type: ignore[index]
        with StudyLock(study, "inner"):  # same process: re-entrant
            pass
        assert (study / LOCK_FILE).exists()
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from neuroloom.study.lock import StudyLock\n"
                "with StudyLock(Path(sys.argv[1]), 'second'): pass",
                str(study),
            ],
            capture_output=True,
            text=True,
        )
        assert other.returncode != 0 and "StudyLockedError" in other.stderr
        assert f"in use by process {os.getpid()}" in other.stderr
    assert not (study / LOCK_FILE).exists()
    assert read_lock(study) is None


def test_lock_of_another_host_is_refused(tmp_path: Path) -> None:
    study = tmp_path / "s"
    study.mkdir()
    record = {"pid": 1, "host": "some-other-host", "since": time.time(), "purpose": "running"}
    (study / LOCK_FILE).write_text(json.dumps(record))
    assert read_lock(study) == record
    with pytest.raises(StudyLockedError, match="some-other-host"), StudyLock(study, "x"):
        pass
    assert (study / LOCK_FILE).exists()  # not ours to delete
