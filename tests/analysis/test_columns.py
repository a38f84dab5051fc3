"""One column convention: run parameters are ``st_<name>`` in every table, ``by=`` and plot."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom import analysis as na
from neuroloom import plot
from neuroloom.errors import AnalysisInputError, QueryError
from neuroloom.study.run import Run

matplotlib.use("Agg")


def _rate_job(run: Run) -> None:
    """Neuron i of 4 fires ``rate * (i + 1) / 4`` Hz for 1 s (regular spikes); ``weight`` scales nothing."""
    rate = run.params.rate
    ids, times = [], []
    for node in range(4):
        n = int(rate * (node + 1) / 4)
        ids.append(np.full(n, node, dtype=np.int64))
        times.append(np.arange(n, dtype=np.float64) * (1000.0 / max(n, 1)))
    run.record_spikes("exc", np.concatenate(ids), np.concatenate(times), size=4)


@pytest.fixture(scope="module")
def rate_study(tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    study = nl.Study(tmp_path_factory.mktemp("columns") / "s")
    study.params["rate"] = 8.0
    study.params["weight"] = 1.0
    study.explore(nl.grid(rate=[8.0, 16.0], weight=[1.0, 2.0]))
    study.run(_rate_job, backend="serial", progress=False)
    return study


def test_a_parameter_named_rate_does_not_clash_with_the_rate_column(rate_study: nl.Study) -> None:
    view = rate_study.filter()
    expected = {8.0: (2 + 4 + 6 + 8) / 4, 16.0: (4 + 8 + 12 + 16) / 4}
    from_view = na.mean_rates(view, 0, 1000, per="run", by=["st_rate", "st_weight"])
    assert {"rate", "st_rate", "st_weight"} <= set(from_view.columns)
    for _, row in from_view.iterrows():
        assert row["rate"] == pytest.approx(expected[row["st_rate"]])
    spikes = view.spikes()
    assert {"st_rate", "st_weight"} <= set(spikes.columns) and "rate" not in spikes.columns
    assert list(view.runs.columns) == ["name", "st_rate", "st_weight"]
    from_table = na.mean_rates(spikes, 0, 1000, per="run", by=["st_rate", "st_weight"], runs=view.runs)
    pd.testing.assert_frame_equal(
        from_table.drop(columns="population"), from_view.drop(columns="population"), check_dtype=False
    )
    fig = plot.heatmap(from_view, x="st_rate", y="st_weight", value="rate")  # README section 5
    assert fig.axes[0].get_xlabel() == "st_rate"


def test_bare_names_and_output_names_are_refused_with_the_fix(rate_study: nl.Study) -> None:
    view = rate_study.filter()
    with pytest.raises(QueryError, match="by='st_rate'"):
        view.mean_rates(0, 1000, per="run", by="rate")
    with pytest.raises(AnalysisInputError, match="write 'st_rate'"):
        na.mean_rates(view.spikes(), 0, 1000, per="run", by="rate")
    bare = view.spikes().rename(columns={"st_rate": "rate"})
    with pytest.raises(AnalysisInputError, match=r"rename\(columns=\{'rate': 'st_rate'\}\)"):
        na.mean_rates(bare, 0, 1000, per="run", by=["rate"])


def test_st_suffix_finds_dotted_parameters_in_tables_and_plots() -> None:
    spikes = pd.DataFrame(
        {
            "run": np.array([0, 1], dtype=np.int64),
            "population": ["exc", "exc"],
            "node_id": np.array([0, 0], dtype=np.int64),
            "time": [1.0, 2.0],
            "st_input.rate": [5.0, 10.0],
            "st_net.weight": [1.0, 2.0],
        }
    )
    rates = na.mean_rates(spikes, 0, 10, per="run", by=["st_rate", "st_net_weight"])
    assert "st_input.rate" in rates.columns and "st_net.weight" in rates.columns
    fig = plot.heatmap(rates, x="st_rate", y="st_weight", value="rate")
    assert fig.axes[0].get_ylabel() == "st_net.weight"


def test_runs_takes_what_view_runs_gives(rate_study: nl.Study) -> None:
    view = rate_study.filter()
    spikes = view.spikes()
    table = na.trials_with_spike(spikes, 0, 100, runs=view.runs)
    assert int(table["n_trials"].sum()) == len(view.runs) == 4
    by_rate = na.trials_with_spike(spikes, 0, 100, by="st_rate", runs=view.runs)
    assert by_rate["n_trials"].tolist() == [2, 2]


def test_plot_figures_are_shown_by_pyplot() -> None:
    import matplotlib.pyplot as plt

    spikes = pd.DataFrame(
        {"run": [0, 0], "population": ["exc", "exc"], "node_id": [0, 1], "time": [1.0, 2.0]}
    )
    fig = plot.raster(spikes)
    try:
        assert fig.number in plt.get_fignums()  # plt.show() displays it outside Jupyter
        plt.show()  # Agg: returns at once
    finally:
        plt.close(fig)
    plot.use_pyplot(False)
    try:
        detached = plot.raster(spikes)
        assert detached not in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plot.use_pyplot(True)
        plt.close("all")


def _pop_job(run: Run) -> None:
    """exc in every run; inh recorded in even runs only (spikes at 250 ms in run 0)."""
    run.record_spikes("exc", np.array([0], dtype=np.int64), np.array([250.0 + run.params.k]))
    if run.params.k % 2 == 0:
        times = np.array([250.0]) if run.params.k == 0 else np.array([10.0])
        run.record_spikes("inh", np.array([0], dtype=np.int64), times)


def test_trials_with_spike_has_one_definition_when_populations_differ(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["k"] = 0
    study.explore(nl.grid(k=[0, 1, 2, 3]))
    study.run(_pop_job, backend="serial", progress=False)
    view = study.filter()
    method = view.trials_with_spike(245, 265).set_index("population")
    function = na.trials_with_spike(view, 245, 265).set_index("population")
    pd.testing.assert_frame_equal(method, function)
    assert method.loc["inh", "n_trials"] == 2  # runs 1 and 3 did not record inh: not trials
    assert method.loc["exc", "n_trials"] == 4
    assert method.loc["inh", "n_with_spike"] == 1
    recorded = pd.DataFrame({"run": [0, 1, 2, 3, 0, 2], "population": ["exc"] * 4 + ["inh"] * 2, "size": 1})
    table = na.trials_with_spike(view.spikes(), 245, 265, runs=view.runs, neurons=recorded)
    pd.testing.assert_frame_equal(table.set_index("population"), method, check_dtype=False)


def test_neurons_naming_other_populations_is_refused(rate_study: nl.Study) -> None:
    view = rate_study.filter()
    with pytest.raises(QueryError, match=r"names population\(s\) \['E', 'I'\]"):
        na.mean_rates(view, 0, 1000, neurons={"E": 800, "I": 200})
    spikes = pd.DataFrame(
        {"run": [0, 0], "population": ["exc", "inh"], "node_id": [0, 0], "time": [1.0, 2.0]}
    )
    with pytest.raises(AnalysisInputError, match=r"population\(s\) \['inh'\] that neurons= does not name"):
        na.mean_rates(spikes, 0, 10, neurons={"exc": 800})
    ok = na.mean_rates(spikes[spikes["population"] == "exc"], 0, 10, neurons={"exc": 800})
    assert len(ok) == 800


def _size_job(run: Run) -> None:
    """A network of ``n`` neurons, every neuron firing ``round(1000 / n)`` spikes in 1 s."""
    n = int(run.params.n)
    per = 1000 // n
    ids = np.repeat(np.arange(n, dtype=np.int64), per)
    times = np.tile(np.arange(per, dtype=np.float64) * (1000.0 / per), n)
    run.record_spikes("exc", ids, times, size=n)


def test_rates_divide_by_each_runs_own_population_size(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["n"] = 10
    study.explore(nl.grid(n=[10, 20, 40]))
    study.run(_size_job, backend="serial", progress=False)
    view = study.filter()
    rates = view.mean_rates(0, 1000, per="run", by="st_n").set_index("st_n")
    assert rates["n_neurons"].to_dict() == {10: 10, 20: 20, 40: 40}
    assert rates["rate"].to_dict() == pytest.approx({10: 100.0, 20: 50.0, 40: 25.0})
    sizes = pd.DataFrame({"run": view.runs.index, "population": "exc", "size": view.runs["st_n"]})
    table = na.mean_rates(view.spikes(), 0, 1000, per="run", runs=view.runs, neurons=sizes)
    assert table["rate"].tolist() == pytest.approx([100.0, 50.0, 25.0])
    recorded = na.mean_rates(view.spikes(), 0, 1000, per="run", runs=view.runs)  # carries each run's size
    assert recorded["rate"].tolist() == pytest.approx([100.0, 50.0, 25.0])
    global_guess = na.mean_rates(view.spikes(), 0, 1000, per="run", runs=view.runs.index.to_numpy())
    assert global_guess["rate"].iloc[0] == pytest.approx(25.0)  # the trap without it: 40 neurons assumed


def test_every_spike_analysis_accepts_a_view(rate_study: nl.Study) -> None:
    view = rate_study.filter()
    assert len(na.isi(view)) > 0  # isi takes neither runs= nor neurons=
    assert set(na.cv_isi(view, per="run", by="st_rate")["st_rate"]) == {8.0, 16.0}
    table = na.psth(view, 0, 1000, 250.0, by="st_rate")
    assert set(table["n_trains"]) == {2 * 4}  # 2 runs per rate x 4 neurons (recorded size)
    assert len(na.pairwise_correlation(view, 0, 1000, 100.0, sample=3, seed=0)) == 4 * 3


def _sim_job(run: Run) -> None:
    """A simulator result of ``n`` neurons where only neuron 0 fires (10 spikes in 1 s)."""
    from neuroloom.sim.result import SimulationResult, spike_table

    n = int(run.params.n)
    spikes = spike_table(np.array(["exc"] * 10), np.zeros(10, np.int64), np.arange(10) * 100.0)
    SimulationResult(spikes, {}, sizes={"exc": n}, duration=1000.0, dt=0.1, simulator="test").record(run)


def test_simulator_results_record_their_sizes_for_the_views(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["n"] = 5
    study.explore(nl.grid(n=[5, 50]))
    study.run(_sim_job, backend="serial", progress=False)
    rates = study.filter().mean_rates(0, 1000, per="run", by="st_n").set_index("st_n")
    assert rates["n_neurons"].to_dict() == {5: 5, 50: 50}
    assert rates["rate"].to_dict() == pytest.approx({5: 10.0 / 5, 50: 10.0 / 50})
