"""Analysis functions take a study View as well as a spikes table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import neuroloom as nl
from neuroloom import analysis as na
from neuroloom.study.run import Run


def _job(run: Run) -> None:
    if run.params.rate == 0:
        run.record_spikes("exc", np.array([], dtype=np.int64), np.array([]))
        return
    times = np.arange(10.0, 300.0, 1000.0 / run.params.rate)
    run.record_spikes("exc", np.zeros(times.size, dtype=np.int64), times)


def test_functions_on_a_view_match_the_view_methods_and_count_silent_runs(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["rate"] = 10.0
    study.explore(nl.grid(rate=[0.0, 10.0, 20.0]))
    study.run(_job, backend="serial", progress=False)
    view = study.filter(population="exc")
    from_function = na.mean_rates(view, 0, 300, per="run")
    from_method = view.mean_rates(0, 300, per="run")
    pd.testing.assert_frame_equal(from_function, from_method)
    assert len(from_function) == 3  # the silent run is there, at 0 Hz
    assert sorted(from_function["rate"].round(3)) == [0.0, round(3 / 0.3, 3), round(6 / 0.3, 3)]
    counted = na.trials_with_spike(view, 0, 50)
    assert int(counted["n_trials"].sum()) == 3
