"""Fault injection: SIGKILL the coordinator, one worker or everything at random
moments while a study runs (processes and dask backends), restart the
coordinator each time it dies, and check that nothing finished ran again,
nothing was lost or duplicated, and every stored result is what the job returned.

The job appends ``S <run> <pid>`` when it starts and ``E <run> <pid> <value>``
when it returns to a side file opened with ``O_APPEND``. A run counts as
*finished and durable* once its worker started another run (the runner journals
a run before its worker starts the next); executing such a run again is a
failure. Runs executing at a kill may run again: at most one per killed (or
torn-down) worker process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import neuroloom as nl
from neuroloom.study.catalog import Catalog

from .side_log import Counts, analyse

SCRIPT = """
import os, sys, time
import neuroloom as nl

path, backend, log, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])


def job(run):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"S {run.index} {os.getpid()}\\n".encode())
        time.sleep(delay)
        value = run.params.x * 3 + 1
        os.write(fd, f"E {run.index} {os.getpid()} {value}\\n".encode())
    finally:
        os.close(fd)
    return value


if __name__ == "__main__":  # dask's worker processes import this file
    study = nl.Study(path)
    study.run(job, backend=backend, workers=2, progress=False, retry_failed=True, raise_on_failure=False)
"""


def start(script: Path, path: Path, backend: str, log: Path, delay: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(script), str(path), backend, str(log), str(delay)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def live_worker(log: Path, offset: int, group: int) -> int | None:
    """The pid of the worker that most recently started a run (since ``offset``).

    Only a live process of the coordinator's process group ``group`` counts: a
    pid of the log may have been reused by an unrelated process (pids wrap at
    ``pid_max``, 32768 here), which must never be killed.
    """
    with open(log, "rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode().splitlines()
    for line in reversed(lines):
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "S":
            pid = int(parts[2])
            try:
                if os.getpgid(pid) != group:
                    continue
            except ProcessLookupError:
                continue
            return pid
    return None


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_while_running(
    proc: subprocess.Popen[bytes],
    log: Path,
    offset: int,
    left: int,
    rng: random.Random,
    window: tuple[float, float],
    weights: list[float],
    counts: Counts,
) -> int:
    """Kill a random target of the running study until it ends or a kill ends it; return kills left."""
    while left > 0:
        try:
            proc.wait(rng.uniform(*window))
            return left
        except subprocess.TimeoutExpired:
            pass
        target = rng.choices(["coordinator", "worker", "all"], weights)[0]
        if target == "worker":
            pid = live_worker(log, offset, proc.pid)
            if pid is None:
                continue
            os.kill(pid, signal.SIGKILL)
        elif target == "coordinator":
            os.kill(proc.pid, signal.SIGKILL)
        else:
            kill_group(proc.pid)
        counts.kills[target] += 1
        left -= 1
        if target != "worker":
            proc.wait(30)
            return left
    return left


def all_done(path: Path, n: int) -> bool:
    cat = Catalog(path, readonly=True)
    try:
        return bool(cat.counts()["done"] == n)
    finally:
        cat.close()


def trial(
    tmp: Path, backend: str, n: int, delay: float, rng: random.Random, kills: int, counts: Counts
) -> None:
    """One study of ``n`` runs, killed ``kills`` times at random, run to completion."""
    path, log, script = tmp / "study", tmp / "side.log", tmp / "coordinator.py"
    script.write_text(SCRIPT)
    log.touch()
    study = nl.Study(path, seed=11)
    study.params.add("x", 0)
    study.explore(nl.grid(x=list(range(n))))
    study.close()
    groups: list[int] = []
    left = kills
    # a dask coordinator takes seconds to start its cluster: kill more workers there
    window, weights = (
        ((0.3, 2.5), [0.35, 0.35, 0.3]) if backend == "processes" else ((1.0, 3.0), [0.15, 0.7, 0.15])
    )
    try:
        for _ in range(200):
            proc = start(script, path, backend, log, delay)
            counts.coordinators += 1
            groups.append(proc.pid)
            offset = log.stat().st_size
            left = kill_while_running(proc, log, offset, left, rng, window, weights, counts)
            if proc.poll() is None:
                proc.wait(120)
            if proc.returncode == 0 and all_done(path, n):
                return
            if proc.returncode not in (0, -signal.SIGKILL):
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else proc.returncode)
        raise AssertionError("the study did not finish")
    finally:
        for pgid in groups:
            kill_group(pgid)
        check(path, log, n, counts)


def check(path: Path, log: Path, n: int, counts: Counts) -> None:
    values = analyse(log, counts)
    cat = Catalog(path, readonly=True)
    try:
        status = dict(cat.con.execute("SELECT idx, status FROM runs").fetchall())
        rows = cat.con.execute(
            "SELECT idx, count(*), max(value) FROM results WHERE name='return' GROUP BY idx"
        )
        stored = {int(i): (int(c), v) for i, c, v in rows.fetchall()}
    finally:
        cat.close()
    assert len(status) == n
    counts.lost += sum(1 for i in range(n) if status.get(i) != "done" or i not in stored)
    counts.duplicated += sum(1 for c, _ in stored.values() if c != 1)
    counts.wrong += sum(1 for i, (_, v) in stored.items() if v != i * 3 + 1 or values.get(i, {v}) != {v})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "target", "n", "delay", "kills"),
    [("processes", 36, 160, 0.03, 8), ("dask", 16, 200, 0.05, 10)],
)
def test_random_kills_lose_and_repeat_nothing(
    tmp_path: Path, backend: str, target: int, n: int, delay: float, kills: int
) -> None:
    """Studies of ``n`` runs, up to ``kills`` kills each, until ``target`` kills in all
    (36 with processes + 16 with dask: 52 kill points)."""
    rng = random.Random(f"fault-{backend}")
    counts = Counts()
    trials = 0
    while counts.total_kills < target and trials < 40:  # a study may finish before its kills
        folder = tmp_path / f"trial{trials}"
        folder.mkdir()
        trial(folder, backend, n, delay, rng, min(kills, target - counts.total_kills), counts)
        trials += 1
    summary = (
        f"{backend}: {counts.total_kills} kills {counts.kills}, {counts.coordinators} coordinators, "
        f"{counts.executions} executions of {trials * n} runs; executed again: {counts.rerun_finished} "
        f"finished, {counts.rerun_not_last} not executing, {counts.rerun_unfinished} executing at a kill; "
        f"lost {counts.lost}, duplicated {counts.duplicated}, wrong {counts.wrong}"
    )
    print(summary)
    assert counts.total_kills >= target, summary
    assert counts.rerun_finished == 0, summary
    assert counts.rerun_not_last == 0, summary
    assert counts.lost == 0, summary
    assert counts.duplicated == 0, summary
    assert counts.wrong == 0, summary
