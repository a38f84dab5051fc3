"""dask for real: a scheduler and two workers started with the ``dask scheduler`` /
``dask worker`` commands as separate processes; a study runs against the
scheduler's address while a worker process is SIGKILLed, and one run kills every
worker that runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import neuroloom as nl
from neuroloom.errors import RunFailedError
from neuroloom.study.run import Run

from . import side_log
from .side_log import Counts, analyse

DASK = str(Path(sys.executable).with_name("dask"))
N = 40
KILLER = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc in procs:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.1)


@pytest.fixture
def cli_cluster(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; yields the address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    # a task is given up (KilledWorker) after its second worker death, not its fourth
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    common = {"start_new_session": True, "env": env, "cwd": tmp_path, "stdout": subprocess.DEVNULL}
    logs = [open(tmp_path / f"{name}.err", "wb") for name in ("scheduler", "worker0", "worker1")]  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
            stderr=logs[0],
            **common,  # type: ignore[arg-type]
        )
    ]
    worker_cmd = [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"]
    try:
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [*worker_cmd, "--name", f"w{i}"],
                    stderr=logs[1 + i],
                    **common,  # type: ignore[arg-type]
                )
            )
        with Client(address, timeout="60s") as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        stop(procs)
        for fh in logs:
            fh.close()


def job(run: Run) -> int:
    log = str(run.params.log)
    side_log.log_start(log, run.index)
    if run.index == KILLER:
        os.kill(os.getpid(), signal.SIGKILL)  # kills every worker that runs it
    time.sleep(0.1)
    value = int(run.params.x) * 3 + 1
    side_log.log_end(log, run.index, value)
    return value


def kill_a_worker(log: Path, after: int, killed: list[int]) -> None:
    """Once ``after`` runs finished, SIGKILL the worker process that started a run last."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if sum(1 for line in lines if line.startswith("E ")) >= after:
            for line in reversed(lines):
                kind, run, pid = line.split()[:3]
                if kind == "S" and int(run) != KILLER:
                    os.kill(int(pid), signal.SIGKILL)
                    killed.append(int(pid))
                    return
        time.sleep(0.02)


@pytest.mark.slow
def test_dask_cli_cluster_worker_deaths(tmp_path: Path, cli_cluster: str) -> None:
    import cloudpickle

    log = tmp_path / "side.log"
    study = nl.Study(tmp_path / "study", seed=3)
    study.params.add("x", 0)
    study.params.add("log", str(log))
    study.explore(nl.grid(x=list(range(N))))
    killed: list[int] = []
    killer = threading.Thread(target=kill_a_worker, args=(log, 8, killed), daemon=True)
    modules = [sys.modules[__name__], side_log]
    for module in modules:  # the workers cannot import the test modules
        cloudpickle.register_pickle_by_value(module)
    killer.start()
    try:
        with pytest.raises(RunFailedError) as info:
            study.run(job, backend="dask", address=cli_cluster, progress=False)
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)
        killer.join(5)
    assert killed, "no worker was killed mid-study"
    message = str(info.value)
    assert f"run_{KILLER:08d}" in message and "killed the worker process" in message, message
    runs = study.runs
    assert set(runs.where(status="failed").index) == {KILLER}
    assert set(runs.where(status="done").index) == set(range(N)) - {KILLER}
    res = study.results("return")
    assert (res["return"] == res["x"] * 3 + 1).all() and len(res) == N - 1
    counts = Counts()
    values = analyse(log, counts)
    assert all(values[i] == {i * 3 + 1} for i in range(N) if i != KILLER)
    print(
        f"dask CLI cluster: killed worker {killed}, {counts.executions} executions of {N} runs, "
        f"executed again: {counts.rerun_finished} finished, {counts.rerun_unfinished} executing at a kill"
    )
    assert counts.rerun_finished == 0 and counts.rerun_not_last == 0
    # the killer ran twice in its chunk (2 deaths: KilledWorker), then twice alone
    assert counts.executions <= N + 4 + 2 + 1
