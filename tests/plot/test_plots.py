"""Plots return Agg figures whose artists hold the data they were given."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import StepPatch

from neuroloom import plot
from neuroloom.analysis import cv_isi, mean_rates, psth, trace_mean_std
from neuroloom.errors import AnalysisInputError, EmptyDataError

matplotlib.use("Agg")


def _spikes(n_runs: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    return pd.DataFrame(
        {
            "run": rng.integers(0, n_runs, n).astype(np.int64),
            "population": rng.choice(["exc", "inh"], n),
            "node_id": rng.integers(0, 10, n).astype(np.int64),
            "time": rng.uniform(0, 500, n),
        }
    ).assign(st_stim=lambda f: np.where(f["run"] % 2 == 0, "B1", "C2"))


def test_raster_draws_every_spike_in_the_window_once() -> None:
    spikes = _spikes()
    fig = plot.raster(spikes, runs=[0, 1], t_start=100.0, t_stop=400.0)
    assert isinstance(fig, Figure)
    collections = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(collections) == 2  # one per population
    selected = spikes[spikes["run"].isin([0, 1]) & (spikes["time"] >= 100) & (spikes["time"] < 400)]
    assert sum(len(c.get_offsets()) for c in collections) == len(selected)
    xs = np.sort(np.concatenate([np.asarray(c.get_offsets())[:, 0] for c in collections]))
    np.testing.assert_allclose(xs, np.sort(selected["time"].to_numpy()))
    n_rows = selected.groupby(["population", "run", "node_id"]).ngroups
    ys = np.concatenate([np.asarray(c.get_offsets())[:, 1] for c in collections])
    assert len(np.unique(ys)) == n_rows
    with pytest.raises(EmptyDataError):
        plot.raster(spikes, runs=99)


def test_psth_draws_one_step_curve_per_group_with_the_psth_values() -> None:
    spikes = _spikes()
    table = psth(spikes, 0.0, 500.0, 25.0, by="st_stim")
    fig = plot.psth(table)
    patches = [p for p in fig.axes[0].patches if isinstance(p, StepPatch)]
    assert len(patches) == 4  # 2 populations x 2 stimuli
    values = patches[0].get_data().values
    assert len(values) == 20
    first = table[(table["population"] == "exc") & (table["st_stim"] == "B1")]
    np.testing.assert_allclose(values, first["rate"].to_numpy())
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "population=exc, st_stim=B1"
    again = plot.psth(spikes, 0.0, 500.0, 25.0, by="st_stim", value="count")
    np.testing.assert_allclose(again.axes[0].patches[0].get_data().values, first["count"].to_numpy())
    with pytest.raises(AnalysisInputError, match="bin_size"):
        plot.psth(spikes)


def test_distribution_histograms_share_edges_and_skip_nan() -> None:
    spikes = _spikes()
    cv = cv_isi(spikes)
    fig = plot.distribution(cv, "cv", bins=12)
    patches = fig.axes[0].patches
    assert len(patches) == 2
    total = sum(p.get_data().values.sum() for p in patches)
    assert total == cv["cv"].notna().sum()
    np.testing.assert_allclose(patches[0].get_data().edges, patches[1].get_data().edges)
    assert len(patches[0].get_data().values) == 12
    with pytest.raises(AnalysisInputError, match="unknown column"):
        plot.distribution(cv, "rate")


def test_heatmap_cells_hold_the_aggregated_values() -> None:
    grid = pd.DataFrame(
        {
            "st_rate": [5, 5, 10, 10, 20],
            "st_weight": [0.1, 0.2, 0.1, 0.2, 0.1],
            "rate": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    grid = pd.concat([grid, grid.assign(rate=grid["rate"] + 2)])  # two runs per cell: mean is rate + 1
    fig = plot.heatmap(grid, x="st_rate", y="st_weight", value="rate")
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    cells = np.ma.filled(mesh.get_array(), np.nan).reshape(2, 3)
    np.testing.assert_allclose(cells, [[2.0, 4.0, 6.0], [3.0, 5.0, np.nan]])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["5", "10", "20"]
    assert len(fig.axes[0].texts) == 5


def test_heatmap_of_rates_from_spikes() -> None:
    spikes = _spikes().assign(st_a=lambda f: f["run"] % 2, st_b=lambda f: f["run"] // 2)
    rates = mean_rates(spikes, 0.0, 500.0, per="run", by=["st_a", "st_b"])
    fig = plot.heatmap(rates, x="st_a", y="st_b", value="rate")
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    assert mesh.get_array().size == 4


def test_manylines_lines_mode_is_one_collection_with_every_trace() -> None:
    traces = np.random.default_rng(1).normal(-65, 3, size=(300, 200))
    fig = plot.manylines(traces, dt=0.5)
    lines = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 300
    np.testing.assert_allclose(lines[0].get_segments()[7][:, 1], traces[7])
    mean_line = fig.axes[0].lines[0]
    np.testing.assert_allclose(mean_line.get_ydata(), traces.mean(axis=0))
    np.testing.assert_allclose(mean_line.get_xdata(), 0.5 * np.arange(200))


def test_manylines_density_counts_every_sample_numpy_and_dask() -> None:
    traces = np.random.default_rng(2).normal(-65, 3, size=(5000, 120))
    fig = plot.manylines(traces, dt=1.0, max_points=10_000, value_bins=50)  # auto -> density
    images = [a for a in fig.axes[0].get_children() if isinstance(a, AxesImage)]
    assert len(images) == 1
    counts = np.nan_to_num(np.asarray(images[0].get_array(), dtype=float))
    assert counts.shape == (50, 120)
    assert counts.sum() == traces.size
    lazy = plot.manylines(da.from_array(traces, chunks=(1000, 120)), dt=1.0, value_bins=50, mean_std=False)
    lazy_image = next(a for a in lazy.axes[0].get_children() if isinstance(a, AxesImage))
    np.testing.assert_array_equal(np.nan_to_num(np.asarray(lazy_image.get_array(), dtype=float)), counts)
    stats = trace_mean_std(traces, dt=1.0)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), stats["mean"].to_numpy())


def test_plots_draw_into_given_axes() -> None:
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert plot.manylines(np.zeros((3, 4)), dt=1.0, ax=ax2, mean_std=False) is fig
    assert len(ax2.collections) == 1 and len(ax1.collections) == 0
    with pytest.raises(AnalysisInputError, match="mode="):
        plot.manylines(np.zeros((3, 4)), dt=1.0, mode="fast")  # type: ignore[arg-type]


def test_figures_render_to_png(tmp_path: Path) -> None:
    spikes = _spikes()
    traces = np.random.default_rng(3).normal(-65, 3, size=(2000, 300))
    for name, fig in {
        "raster": plot.raster(spikes),
        "psth": plot.psth(spikes, 0.0, 500.0, 10.0, by="st_stim"),
        "density": plot.manylines(traces, dt=0.1, mode="density"),
    }.items():
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
