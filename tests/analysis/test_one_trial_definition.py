"""A spikes table with ``runs=view.runs`` counts trials and neurons as the View does (issue 13).

Runs record different populations here: trial 0 records ``A`` only, trial 1
``A`` and ``B`` (size 10 each, node 9 of B never spikes). A trial of a
population is a run that recorded it, on both paths, and rates divide by the
recorded size, not by the largest node id seen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom import analysis as na
from neuroloom.datastore.view import View
from neuroloom.study.run import Run


def job(run: Run) -> None:
    rng = run.rng()
    for population in ["A"] if run.params.trial == 0 else ["A", "B"]:
        ids = rng.integers(0, 9 if population == "B" else 10, 30)
        run.record_spikes(population, ids, rng.uniform(0.0, 300.0, ids.size), size=10)


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> View:
    study = nl.Study(Path(tmp_path_factory.mktemp("trials")) / "s", seed=3)
    study.params["rate"] = 1.0
    study.params["trial"] = 0
    study.explore(nl.grid(rate=[1.0, 2.0], trial=[0, 1]))
    study.run(job, backend="serial", progress=False)
    return study.filter()


def test_trials_with_spike_table_and_view_agree(view: View) -> None:
    spikes, runs = view.spikes(), view.runs
    for by in (None, "st_rate"):
        table = na.trials_with_spike(spikes, 100, 200, by=by, runs=runs)
        pd.testing.assert_frame_equal(table, view.trials_with_spike(100, 200, by=by))
    b = na.trials_with_spike(spikes, 0, 300, runs=runs).set_index("population").loc["B"]
    assert b["n_trials"] == 2  # the two runs that recorded B, not all four


def test_rates_divide_by_the_recorded_size(view: View) -> None:
    spikes, runs = view.spikes(), view.runs
    table = na.mean_rates(spikes, 0, 300, per="run", runs=runs)
    pd.testing.assert_frame_equal(table, view.mean_rates(0, 300, per="run"))
    assert set(table["n_neurons"]) == {10}
    assert set(table.loc[table["population"] == "B", "run"]) == set(runs.index[runs["st_trial"] == 1])
    psth = na.psth(spikes, 0, 300, 50.0, runs=runs)
    pd.testing.assert_frame_equal(psth, view.analyse(na.psth, 0, 300, 50.0))


def test_a_selection_of_the_runs_table_keeps_the_definition(view: View) -> None:
    spikes, runs = view.spikes(), view.runs
    later = runs[runs["st_trial"] == 1]
    table = na.mean_rates(spikes[spikes["run"].isin(later.index)], 0, 300, per="run", runs=later)
    assert sorted(table["run"].unique()) == sorted(later.index)
    only_a = na.trials_with_spike(spikes[spikes["population"] == "A"], 0, 300, runs=runs)
    assert list(only_a["population"]) == ["A"]  # B, cut from the table, is not reported as silent


def test_a_runs_table_of_your_own_counts_every_run(view: View) -> None:
    spikes = view.spikes()
    mine = pd.DataFrame({"run": np.asarray(view.runs.index)})
    b = na.trials_with_spike(spikes, 0, 300, runs=mine).set_index("population").loc["B"]
    assert b["n_trials"] == 4  # no recording information: every run of runs= for every population
