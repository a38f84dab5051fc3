"""The runner: backends (serial, processes, a real dask LocalCluster), dying workers,
the adaptive ``then=`` loop and the progress bar."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import RunFailedError, StudyError
from neuroloom.study.run import Run


def make(path: Path, n: int = 10) -> nl.Study:
    study = nl.Study(path, seed=11)
    study.params.add("x", 0)
    study.params.add("y", 1.0)
    study.explore(nl.grid(x=list(range(n)), y=[1.0, 2.0]))
    return study


def job(run: Run) -> Any:
    run.save("trace", np.full(1000, run.params.x * run.params.y))
    run.save("seed", run.seed)
    run.save("pid", os.getpid())
    return run.params.x * run.params.y


def check(study: nl.Study, n: int) -> None:
    res = study.results("return")
    assert len(res) == 2 * n
    assert (res["return"] == res["x"] * res["y"]).all()
    traces = study.results("trace", load=True)
    for x, y, trace in traces[["x", "y", "trace"]].itertuples(index=False):
        np.testing.assert_array_equal(trace, np.full(1000, x * y))
    assert (study.runs["status"] == "done").all()


def test_processes_backend_matches_serial(tmp_path: Path) -> None:
    serial, procs = make(tmp_path / "serial"), make(tmp_path / "procs")
    serial.run(job, backend="serial", progress=False)
    report = procs.run(job, backend="processes", workers=2, chunk_size=3, progress=False)
    assert report.done == 20
    check(procs, 10)
    assert procs.results("seed")["seed"].tolist() == serial.results("seed")["seed"].tolist()
    assert len(set(procs.results("pid")["pid"])) == 2  # both workers ran runs
    assert os.getpid() not in set(procs.results("pid")["pid"])
    session = procs.provenance()[-1]
    assert session["backend"] == "processes" and session["provenance"]["workers"] == 2
    assert session["provenance"]["packages"]["numpy"] == np.__version__


@pytest.mark.slow
def test_dask_local_cluster_and_scheduler_address(tmp_path: Path) -> None:
    from distributed import LocalCluster

    study = make(tmp_path / "dask")
    assert study.run(job, backend="dask", workers=2, progress=False).done == 20
    check(study, 10)
    assert os.getpid() not in set(study.results("pid")["pid"])
    other = make(tmp_path / "addr", n=3)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert other.run(job, backend="dask", address=cluster.scheduler_address, progress=False).done == 6
    check(other, 3)
    with pytest.raises(StudyError, match="unknown backend 'mpi'"):
        other.run(job, backend="mpi")


def killer(run: Run) -> int:
    flag = Path(str(run.params.flag))
    if run.index == 3 and not flag.exists():
        flag.touch()
        os.kill(os.getpid(), signal.SIGKILL)  # dies once, succeeds when run again
    if run.index == 5:
        os.kill(os.getpid(), signal.SIGKILL)  # dies every time
    return run.index


def test_worker_killed_by_sigkill(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 0)
    study.params.add("flag", str(tmp_path / "flag"))
    study.explore(nl.grid(x=list(range(12))))
    with pytest.raises(RunFailedError) as info:
        study.run(killer, backend="processes", workers=2, chunk_size=4, progress=False)
    message = str(info.value)
    assert "run_00000005" in message and "killed the worker process" in message, message
    runs = study.runs
    failed = set(runs.where(status="failed").index)
    # run 3 dies once: if it died inside a chunk it was rerun alone and passed; if
    # the pool was torn down before it ran, it died alone and is failed too
    assert 5 in failed and failed <= {3, 5}
    assert set(runs.where(status="done").index) == set(range(12)) - failed
    assert (tmp_path / "flag").exists()
    assert study.run(
        lambda run: run.index, backend="processes", workers=2, retry_failed=True, progress=False
    ).done == len(failed)
    assert sorted(study.results("return")["return"]) == list(range(12))


def test_then_adaptive_loop(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1.0)
    study.explore(nl.grid(x=[1.0]))
    calls = []

    def refine(s: nl.Study) -> None:
        res = s.results("return")
        calls.append(len(res))
        best = float(res.loc[res["return"].idxmax(), "x"])
        if best < 5:
            s.explore(nl.grid(x=[best, best + 1]))  # `best` is already there: only best+1 is new

    report = study.run(lambda run: run.params.x * 2, backend="serial", progress=False, then=refine)
    assert calls == [1, 2, 3, 4, 5]
    assert sorted(study.results("return")["return"]) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert report.rounds == 5


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = make(tmp_path / "s", n=3)
    study.run(job, backend="serial", progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "run/s" in err and "done=6" in err and "failed=0" in err


def test_ctrl_c_in_serial_keeps_finished_runs(tmp_path: Path) -> None:
    study = make(tmp_path / "s", n=5)

    def interrupted(run: Run) -> Any:
        if run.index == 6:
            raise KeyboardInterrupt
        return job(run)

    with pytest.raises(KeyboardInterrupt):
        study.run(interrupted, backend="serial", progress=False)
    assert study.catalog.counts() == {"pending": 4, "done": 6, "failed": 0}
    assert not (study.path / "coordinator.lock").exists()
    study.run(job, backend="serial", progress=False)
    check(study, 5)


def test_job_that_cannot_be_sent_to_workers(tmp_path: Path) -> None:
    study = make(tmp_path / "s", n=1)
    with pytest.raises(StudyError, match=r"cannot be sent to worker processes.*must not capture the Study"):
        study.run(lambda run: study.seed, backend="processes", workers=1, progress=False)
    assert study.catalog.counts()["pending"] == 2
    assert not (study.path / "coordinator.lock").exists()
