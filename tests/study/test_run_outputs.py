"""What a run keeps: grouped results, comments, dtypes, per-run logs, Brian2 monitors,
and the one-run view (pypet's ``traj.v_idx = i``)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import neuroloom as nl
from neuroloom.cli import main
from neuroloom.errors import StudyError


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=5)
    s.params.add("neuron.n", 3)
    s.params.add("neuron.tau", 10.0, unit="ms", comment="membrane time constant")
    s.explore({"n": [3, 4]})
    return s


def _job(run: nl.Run) -> int:
    n = run.params.n
    print(f"starting {run.name} with n={n}")
    print("a warning on stderr", file=sys.stderr)
    logging.getLogger("my.model").info("built %d neurons", n)
    run.save("neuron", V=np.linspace(0, 1, n, dtype=np.float32), nspikes=n * 2, comment="per neuron")
    run.save("f32", np.float32(0.5))
    run.save("i16", np.arange(n, dtype=np.int16))
    run.save("pair", (np.arange(2.0), {"k": np.int32(1)}))
    frame = pd.DataFrame({0: [1.0, 2.0], 1.5: [3.0, 4.0]}, index=[10, 20])
    run.save("frame", frame, comment="non-string labels")
    return n


def test_grouped_results_comments_and_dtypes(study: nl.Study) -> None:
    study.run(_job, backend="serial", progress=False)
    grouped = study.results("neuron", load=True)
    assert list(grouped.columns) == ["neuron.n", "V", "nspikes"]
    assert grouped["nspikes"].tolist() == [6, 8]
    assert grouped["V"].iloc[1].dtype == np.float32 and len(grouped["V"].iloc[1]) == 4
    assert study.results("nspikes")["neuron.nspikes"].tolist() == [6, 8]  # a unique suffix names a member
    assert study.result_comments() == {"neuron": "per neuron", "frame": "non-string labels"}
    one = study.run_results(0)
    assert type(one["f32"]) is np.float32
    assert one["i16"].dtype == np.int16
    first, second = one["pair"]
    assert (
        isinstance(one["pair"], tuple) and np.array_equal(first, [0.0, 1.0]) and second == {"k": np.int32(1)}
    )
    frame = study.results("frame", load=True)["frame"].iloc[0]
    assert list(frame.columns) == [0, 1.5] and list(frame.index) == [10, 20]
    study.comment = "pypet port of the first steps"
    assert nl.Study(study.path).comment == "pypet port of the first steps"


def test_grouped_result_needs_value_or_members(study: nl.Study) -> None:
    def job(run: nl.Run) -> None:
        run.save("x", 1, y=2)

    report = study.run(job, backend="serial", progress=False, raise_on_failure=False)
    assert report.failed == 2
    assert "either one value or named members" in study.runs["error"].iloc[0]


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_per_run_logs_are_kept_and_the_terminal_stays_clean(
    study: nl.Study, backend: str, capfd: pytest.CaptureFixture[str]
) -> None:
    study.run(_job, backend=backend, workers=2, progress=False)
    out, err = capfd.readouterr()
    assert "starting run_" not in out + err and "a warning on stderr" not in out + err
    log = study.run_log(1)
    assert "starting run_00000001 with n=4" in log
    assert "a warning on stderr" in log
    assert "INFO my.model: built 4 neurons" in log
    assert "run_00000000" not in log


def test_failed_run_keeps_its_log_in_the_error(study: nl.Study) -> None:
    def job(run: nl.Run) -> None:
        print("about to fail")
        raise ValueError("boom")

    study.run(job, backend="serial", progress=False, raise_on_failure=False)
    error = study.runs["error"].iloc[0]
    assert "ValueError: boom" in error and "about to fail" in error
    assert study.run_log(0) == ""
    with pytest.raises(StudyError, match="no run 7"):
        study.run_log(7)


def test_long_logs_go_to_the_run_folder(study: nl.Study) -> None:
    study.run(lambda run: print("x" * 50_000), backend="serial", progress=False)
    assert study.run_log(0) == "x" * 50_000 + "\n"


def test_run_view_and_show(study: nl.Study) -> None:
    study.run(_job, backend="serial", progress=False)
    view = study.run_view(1)
    assert (view.index, view.name, view.status) == (1, "run_00000001", "done")
    assert view.params.n == 4 and view.params["neuron.tau"] == 10.0 and view.params.neuron.tau == 10.0
    assert view.results["neuron.nspikes"] == 8 and view.results["return"] == 4
    assert "built 4 neurons" in view.log
    with pytest.raises(StudyError, match="no run 9"):
        study.run_view(9)
    shown = CliRunner().invoke(main, ["show", str(study.path), "run_00000001"])
    assert shown.exit_code == 0, shown.output
    assert "neuron.n = 4" in shown.output and "built 4 neurons" in shown.output


def brian2_job(run: nl.Run) -> int:
    from brian2 import Network, NeuronGroup, PopulationRateMonitor, SpikeMonitor, StateMonitor, ms, mV, prefs

    prefs.codegen.target = "numpy"
    group = NeuronGroup(
        4,
        "dv/dt = (drive - v) / tau : volt\ndrive : volt",
        threshold="v > 15*mV",
        reset="v = 0*mV",
        method="exact",
        name="exc",
        namespace={"tau": run.params.tau},
    )
    group.drive = run.params.drive * np.linspace(1.0, 1.5, 4)
    spikes, state, rate = (
        SpikeMonitor(group),
        StateMonitor(group, "v", record=[0, 3]),
        PopulationRateMonitor(group),
    )
    Network(group, spikes, state, rate).run(30 * ms)
    run.record(spikes, state, rate)
    run.save("v_end", state.v[:, -1])
    assert run.params.tau.dim == ms.dim and mV.dim == run.params.drive.dim
    return int(spikes.num_spikes)


def test_brian2_monitors_land_as_recordings(tmp_path: Path) -> None:
    from brian2 import ms, mV

    study = nl.Study(tmp_path / "b", seed=1)
    study.params.add("tau", 10 * ms, comment="membrane time constant")
    study.params.add("drive", 20 * mV)
    study.explore({"drive": [20 * mV, 30 * mV]})
    study.run(brian2_job, backend="serial", progress=False)
    spikes = study.filter(run=1).spikes()
    assert len(spikes) == study.results()["return"].iloc[1] > 0
    assert set(spikes["population"]) == {"exc"} and spikes["time"].max() < 30.0
    trace = study.run_view(0).signals("exc", "v")
    assert trace.attrs["unit"] == "mV" and trace.index.get_level_values("node_id").tolist() == [0, 3]
    assert trace.to_numpy().max() <= 15.0 + 1e-9
    with h5py.File(study.path / "runs" / "00000" / "run_00000000" / "report_v.h5") as fh:
        assert fh["report/exc/data"].dtype == np.float64  # float64 unless asked otherwise
    rate = study.run_view(1).signals("exc", "rate")
    assert rate.attrs["unit"] == "Hz"
    v_end = study.results("v_end", load=True)["v_end"].iloc[0]
    assert np.allclose(np.asarray(v_end / mV), trace.to_numpy()[:, -1])


def test_record_refuses_what_is_not_a_monitor(study: nl.Study) -> None:
    study.run(lambda run: run.record(object()), backend="serial", progress=False, raise_on_failure=False)
    assert "takes Brian2 monitors" in study.runs["error"].iloc[0]


def test_compressed_signals_on_request(study: nl.Study) -> None:
    def job(run: nl.Run) -> None:
        data = np.sin(np.linspace(0, 10, 2000))[:, None] * np.arange(1, 4)
        run.record_signal("exc", "v", [0, 1, 2], 0.1, data, "mV", dtype=np.float64, compress=run.index == 1)

    study.run(job, backend="serial", progress=False)
    files = [study.path / "runs" / "00000" / f"run_0000000{i}" / "report_v.h5" for i in (0, 1)]
    with h5py.File(files[0]) as plain, h5py.File(files[1]) as packed:
        assert plain["report/exc/data"].compression is None
        assert packed["report/exc/data"].compression == "gzip"
    assert files[1].stat().st_size < files[0].stat().st_size
    traces = [study.run_view(i).signals("exc", "v").to_numpy() for i in (0, 1)]
    assert np.array_equal(traces[0], traces[1])
