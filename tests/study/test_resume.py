"""Crash safety with real processes: SIGKILL of the coordinator, Ctrl-C, a second
coordinator, and ``neuroloom status`` from another process while a study runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import StudyLockedError
from neuroloom.study.catalog import Catalog
from neuroloom.study.run import Run

N = 60
NEUROLOOM = str(Path(sys.executable).with_name("neuroloom"))

SCRIPT = """
import sys, time
import numpy as np
import neuroloom as nl

study = nl.Study(sys.argv[1], seed=5)
if not study.params.names():
    study.params.add("x", 0)
    study.explore(nl.grid(x=list(range({n}))))

def job(run):
    time.sleep(float(sys.argv[3]))
    with open(sys.argv[1] + ".log", "a") as fh:
        fh.write(f"{{run.index}}\\n")
    run.save("trace", np.arange(5) * run.params.x)
    return run.params.x * 2

study.run(job, backend=sys.argv[2], workers=2, chunk_size=2, progress=False)
"""


def resume_job(run: Run) -> Any:
    run.save("trace", np.arange(5) * run.params.x)
    return run.params.x * 2


def start(tmp_path: Path, backend: str, delay: float) -> tuple[subprocess.Popen[bytes], Path]:
    script = tmp_path / "study_script.py"
    script.write_text(SCRIPT.format(n=N))
    path = tmp_path / "study"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path), backend, str(delay)],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    return proc, path


def wait_done(path: Path, at_least: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (path / "catalog.sqlite").exists():
            try:
                cat = Catalog(path, readonly=True)
                try:
                    done = cat.count("done")
                finally:
                    cat.close()
            except Exception:
                done = 0
            if done >= at_least:
                return done
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.05)
    raise AssertionError("the study did not make progress")


def check_complete(path: Path) -> None:
    study = nl.Study(path)
    res = study.results("return")
    assert sorted(res.index) == list(range(N))
    assert (res["return"] == res["x"] * 2).all()
    traces = study.results("trace", load=True)
    for x, trace in traces[["x", "trace"]].itertuples(index=False):
        np.testing.assert_array_equal(trace, np.arange(5) * x)
    assert study.catalog.counts() == {"pending": 0, "done": N, "failed": 0}


@pytest.mark.slow
def test_resume_after_sigkill_of_coordinator(tmp_path: Path) -> None:
    proc, path = start(tmp_path, "processes", 0.05)
    wait_done(path, 8, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # coordinator and its pool workers
    proc.wait(10)
    time.sleep(0.2)
    assert (path / "coordinator.lock").exists()  # left behind by the dead coordinator
    before = Catalog(path, readonly=True)
    done_before = {r[0] for r in before.con.execute("SELECT idx FROM runs WHERE status='done'")}
    before.close()
    assert 8 <= len(done_before) < N
    log = Path(str(path) + ".log")
    ran_before = log.read_text().split()
    study = nl.Study(path)
    report = study.run(resume_job, backend="serial", progress=False)  # takes over the stale lock
    check_complete(path)
    # the journals of session 1 hold every run whose job returned except the (at
    # most 2) that were executing at the kill: only those run again
    finished_before = set(map(int, ran_before))
    assert report.done <= N - len(finished_before) + 2
    session1 = set(study.runs.where(session=1).index)
    assert done_before <= session1
    assert len(finished_before - session1) <= 2
    assert set(study.runs.where(attempts=1).index) == set(range(N))  # recorded once each


@pytest.mark.slow
def test_status_second_coordinator_and_ctrl_c(tmp_path: Path) -> None:
    proc, path = start(tmp_path, "processes", 0.3)
    wait_done(path, 2, proc)
    time.sleep(1.2)  # let the coordinator publish its progress
    with pytest.raises(StudyLockedError, match=rf"in use by process {proc.pid}"):
        nl.Study(path).run(resume_job, backend="serial", progress=False)
    status = subprocess.run([NEUROLOOM, "status", str(path)], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert (
        f"in use by pid {proc.pid}" in status.stdout and "runs/s" in status.stdout and "ETA" in status.stdout
    )
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and b"KeyboardInterrupt" in err
    assert not (path / "coordinator.lock").exists()  # released on the way out
    study = nl.Study(path)
    counts = study.catalog.counts()
    assert counts["done"] >= 2 and counts["pending"] > 0 and counts["failed"] == 0
    assert study.provenance()[0]["end"] is not None
    status = subprocess.run([NEUROLOOM, "status", str(path)], capture_output=True, text=True, timeout=60)
    assert f"{counts['done']} done" in status.stdout and "no coordinator is running" in status.stdout
    study.run(resume_job, backend="processes", workers=2, progress=False)
    check_complete(path)
