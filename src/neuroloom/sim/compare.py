"""Cross-simulator comparison: one SONATA simulation config on several simulators.

:func:`compare_config` runs the config on each simulator (the first is the
reference) and measures, per simulated population and simulator:

- ``rate_hz`` and its relative difference to the reference;
- ``count_corr``: Pearson correlation of the per-neuron spike counts with the
  reference's;
- ``isi_ks``: the Kolmogorov-Smirnov distance (largest gap between the two
  empirical CDFs) of the pooled inter-spike intervals, and both medians;
- ``first_spike_mae_ms``: mean absolute difference of each neuron's first
  spike time (neurons that spike in both), reported only when every input
  is deterministic (spike files, current clamps; not Poisson).

:func:`write_html` writes the tables and the ISI distributions (inline SVG,
no plotting library) as one self-contained HTML page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom._io.atomic import write_bytes
from neuroloom.sim.config_run import ConfigRun, run_config
from neuroloom.sim.result import SimulationResult

__all__ = ["Comparison", "compare_config", "isi_ks_distance", "write_html"]

FloatArray = npt.NDArray[np.float64]


@dataclass
class Comparison:
    """Runs of one config and their comparison table (one row per population and simulator)."""

    config: Path
    runs: dict[str, ConfigRun]
    table: pd.DataFrame
    deterministic: bool
    isis: dict[tuple[str, str], FloatArray] = field(default_factory=dict)

    def row(self, population: str, simulator: str) -> pd.Series:
        """The comparison row of one population on one simulator."""
        rows = self.table[(self.table["population"] == population) & (self.table["simulator"] == simulator)]
        return rows.iloc[0]


def _counts(result: SimulationResult, population: str) -> npt.NDArray[np.int64]:
    ids, _ = result.spikes_of(population)
    return np.bincount(ids, minlength=result.sizes[population])


def _isis(result: SimulationResult, population: str) -> FloatArray:
    ids, times = result.spikes_of(population)
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    gaps = np.diff(times)
    return np.asarray(gaps[ids[1:] == ids[:-1]], dtype=np.float64)


def _first_spikes(result: SimulationResult, population: str) -> FloatArray:
    ids, times = result.spikes_of(population)
    first = np.full(result.sizes[population], np.inf)
    np.minimum.at(first, ids, times)
    first[np.isinf(first)] = np.nan
    return first


def isi_ks_distance(a: FloatArray, b: FloatArray) -> float:
    """Largest distance between the empirical CDFs of two samples (nan if either is empty)."""
    if a.size == 0 or b.size == 0:
        return float("nan")
    grid = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _correlation(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> float:
    if a.size < 2 or np.std(a) == 0 or np.std(b) == 0:
        return 1.0 if np.array_equal(a, b) else float("nan")
    return float(np.corrcoef(a, b)[0, 1])


@dataclass(frozen=True)
class _Measured:
    """What the comparison measures of one population in one simulator's run."""

    size: int
    counts: npt.NDArray[np.int64]
    rate: float
    isi: FloatArray
    first: FloatArray | None  # first spike per neuron (deterministic inputs only)


def _measure(result: SimulationResult, population: str, deterministic: bool) -> _Measured:
    first = _first_spikes(result, population) if deterministic else None
    return _Measured(
        result.sizes[population],
        _counts(result, population),
        result.rate(population),
        _isis(result, population),
        first,
    )


def _row(population: str, name: str, m: _Measured, ref: _Measured) -> dict[str, object]:
    row: dict[str, object] = {
        "population": population,
        "simulator": name,
        "size": m.size,
        "spikes": int(m.counts.sum()),
        "rate_hz": m.rate,
        "rate_rel_diff": (m.rate - ref.rate) / ref.rate
        if ref.rate
        else (0.0 if m.rate == 0 else float("inf")),
        "count_corr": _correlation(m.counts, ref.counts),
        "isi_median_ms": float(np.median(m.isi)) if m.isi.size else float("nan"),
        "isi_ks": isi_ks_distance(m.isi, ref.isi),
        "first_spike_mae_ms": float("nan"),
    }
    if m.first is not None and ref.first is not None:
        both = ~np.isnan(m.first) & ~np.isnan(ref.first)
        if both.any():
            row["first_spike_mae_ms"] = float(np.mean(np.abs(m.first[both] - ref.first[both])))
    return row


def compare_config(
    config: str | Path, simulators: Sequence[str] = ("nest", "brian2"), *, target: str = "auto"
) -> Comparison:
    """Run ``config`` on each of ``simulators`` (the first is the reference) and compare them."""
    if len(simulators) < 2:
        from neuroloom.sim.sonata_config import ConfigError

        raise ConfigError(f"compare needs at least two simulators, got {list(simulators)}")
    runs = {name: run_config(config, name, write=False, target=target) for name in simulators}
    first = runs[simulators[0]]
    deterministic = all(
        str(spec.get("module", "")).lower() != "poisson" for spec in first.config.inputs.values()
    )
    populations = sorted(first.neurons)  # virtual inputs are the same everywhere
    measured = {
        (population, name): _measure(run.result, population, deterministic)
        for name, run in runs.items()
        for population in populations
    }
    rows = [
        _row(population, name, measured[(population, name)], measured[(population, simulators[0])])
        for name in runs
        for population in populations
    ]
    isis = {key: m.isi for key, m in measured.items()}
    return Comparison(Path(config), runs, pd.DataFrame(rows), deterministic, isis)


def _svg_cdfs(samples: dict[str, FloatArray], width: int = 420, height: int = 160) -> str:
    finite = [s for s in samples.values() if s.size]
    if not finite:
        return "<p>no inter-spike intervals</p>"
    top = float(np.percentile(np.concatenate(finite), 99)) or 1.0
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    lines = []
    for k, (name, values) in enumerate(samples.items()):
        if not values.size:
            continue
        xs = np.linspace(0.0, top, 100)
        ys = np.searchsorted(np.sort(values), xs, side="right") / values.size
        points = " ".join(f"{x / top * width:.1f},{height - y * height:.1f}" for x, y in zip(xs, ys))
        colour = colours[k % len(colours)]
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        lines.append(f'<text x="{width - 110}" y="{16 + 14 * k}" fill="{colour}">{html.escape(name)}</text>')
    return (
        f'<svg width="{width}" height="{height}" style="border:1px solid #ccc">{"".join(lines)}</svg>'
        f"<div>ISI CDF, 0 to {top:.1f} ms</div>"
    )


def write_html(comparison: Comparison, path: str | Path) -> Path:
    """Write the comparison as one self-contained HTML page."""
    names = list(comparison.runs)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>neuroloom compare</title>",
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:right}</style>",
        f"</head><body><h1>{html.escape(str(comparison.config))}</h1>",
        f"<p>simulators: {', '.join(names)} (reference: {html.escape(names[0])}); inputs "
        f"{'deterministic' if comparison.deterministic else 'random (no first-spike comparison)'}</p>",
        comparison.table.to_html(index=False, float_format=lambda v: f"{v:.4g}"),
    ]
    for run in comparison.runs.values():
        for warning in run.warnings:
            parts.append(f"<p>warning ({html.escape(run.simulator)}): {html.escape(warning)}</p>")
    for population in sorted(comparison.table["population"].unique()):
        samples = {name: comparison.isis[(population, name)] for name in names}
        parts += [f"<h2>{html.escape(population)}: inter-spike intervals</h2>", _svg_cdfs(samples)]
    parts.append("</body></html>")
    path = Path(path)
    write_bytes(path, "\n".join(parts).encode())
    return path
