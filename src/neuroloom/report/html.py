"""``build_report(study)``: ``report.html`` and its PNG figures for any study.

The report folder (default ``<study>/report``) holds ``report.html`` (plain
HTML, figures linked with relative ``<img src="...png">``), the PNG files
and ``statistics.csv``. Every file is written to a temporary name and
renamed; the HTML is written last, so a report that is there is whole.

What it shows:

- the runs: how many are done/failed/pending, the errors of failed runs;
- with spike recordings: rate, CV and Fano factor per run and population
  (:func:`neuroloom.studyfile.stats.run_statistics`), phase diagrams of each over
  the first two explored parameters, rasters and PSTHs of a few runs (the
  corners of the explored grid);
- without recordings: heat maps of the study's numeric scalar results.

Studies made by the main job (:mod:`neuroloom.studyfile`) carry their
population sizes and analysis window; for others they are taken from the
recordings (silent neurons then are not counted).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom._io.atomic import write_bytes
from neuroloom._io.names import REPORT_DIR as REPORT_DIR  # re-exported
from neuroloom.errors import EmptyDataError, ItemNotFoundError, ReportError
from neuroloom.report.figures import phase_diagram, run_psth, run_raster
from neuroloom.studyfile.stats import STAT_COLUMNS, run_statistics

__all__ = ["REPORT_DIR", "build_report"]

STATS = ("rate", "cv", "fano")
_STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 1200px; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
img { max-width: 100%; margin: 0.3em 0; }
.failed { color: #a00; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 0.8em; }
"""


def _settings(study: Any) -> dict[str, Any]:
    """Sizes and analysis window from the main job's record of the study (if any)."""
    try:
        info = study["pipeline"]
    except (ItemNotFoundError, KeyError):
        return {}
    from neuroloom.studyfile.spec import parse_spec, resolve_config

    file = Path(study.path) / info["file"]  # relative to the study (absolute in older studies)
    spec = parse_spec(resolve_config(info["config"], study.params.values(), file), file, check_files=False)
    populations = spec.network.populations if spec.network is not None else ()
    virtual = {p.name for p in populations if p.virtual} | set(info.get("virtual", []))
    circuit = spec.network.circuit if spec.network is not None else None
    if "virtual" not in info and circuit is not None and circuit.is_file():  # recorded before "virtual"
        from neuroloom.sim.point import load_point_network

        virtual |= {p.name for p in load_point_network(circuit).virtual}
    sizes = {k: int(v) for k, v in info.get("sizes", {}).items() if k not in virtual}
    return {
        "sizes": sizes,
        "duration": float(spec.simulation.duration),
        "t_start": float(spec.analysis.t_start),
        "t_stop": None if spec.analysis.t_stop is None else float(spec.analysis.t_stop),
        "bin_size": float(spec.analysis.bin_size),
        "fano_window": float(spec.analysis.fano_window),
        "report_runs": spec.report.get("runs"),
        "populations": spec.report.get("populations"),
    }


def _numeric_params(runs: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """Explored parameters with numbers and more than one value, most values first."""
    keep = [n for n in names if pd.api.types.is_numeric_dtype(runs[n]) and runs[n].nunique() > 1]
    return sorted(keep, key=lambda n: -runs[n].nunique())


def _corner_runs(runs: pd.DataFrame, params: Sequence[str], limit: int) -> list[int]:
    """Runs at the extremes of the explored parameters (then the first ones), at most ``limit``."""
    done = runs[runs["status"] == "done"]
    chosen: list[int] = []
    if len(params) >= 1 and len(done):
        for lo_hi in ((min, min), (max, max), (min, max), (max, min)):
            part = done
            for name, pick in zip(params[:2], lo_hi):
                part = part[part[name] == pick(part[name])] if len(part) else part
            if len(part):
                chosen.append(int(part.index[0]))
    chosen += [int(i) for i in done.index]
    return list(dict.fromkeys(chosen))[:limit]


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(float_format=lambda v: f"{v:.{digits}g}", na_rep="-", border=0, escape=True)


def _params_label(row: pd.Series, params: Sequence[str]) -> str:
    return ", ".join(
        f"{p}={row[p]:g}" if isinstance(row[p], (int, float)) else f"{p}={row[p]}" for p in params
    )


def build_report(
    study: Any,
    out: str | Path | None = None,
    *,
    runs: int = 4,
    progress: bool = True,
    echo: Callable[[str], Any] | None = None,
) -> Path:
    """Write the report of ``study`` (a Study or its path); return the path of ``report.html``.

    Parameters
    ----------
    study
        A :class:`~neuroloom.datastore.study.Study` or its directory.
    out
        Report folder (default ``<study>/report``).
    runs
        How many runs get a raster and a PSTH.

    Raises
    ------
    ReportError
        If the study has no runs, or the folder cannot be written.
    """
    from neuroloom.datastore.study import Study

    if not isinstance(study, Study):
        study = Study(study)
    folder = Path(out) if out is not None else study.path / REPORT_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {folder}: {exc.strerror or exc}") from None
    table = study.runs
    if len(table) == 0:
        raise ReportError(f"study {study.path} has no runs yet; run it first (neuroloom run STUDY.toml)")
    settings = _settings(study)
    explored = list(study.catalog.param_names())
    params = _numeric_params(table, explored)
    figures: list[str] = []
    sections = _runs_sections(table, explored)
    spikes = _spikes(study)
    if spikes is not None:
        sections += _spike_sections(
            study, table, spikes, settings, params, explored, folder, figures, runs, echo
        )
    else:
        sections += _result_sections(study, table, params, folder, figures)
    return _write_page(study, folder, sections)


def _runs_sections(table: pd.DataFrame, explored: list[str]) -> list[str]:
    """The "Runs" section: counts by status and the errors of failed runs."""
    counts = table["status"].value_counts().to_dict()
    sections = [
        "<h2>Runs</h2><p>"
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("done", "failed", "pending"))
        + f" (of {len(table)}); explored: {html.escape(', '.join(explored) or 'nothing')}</p>"
    ]
    failed = table[table["status"] == "failed"]
    if len(failed):
        rows = "".join(
            f"<li class='failed'><b>{html.escape(str(r['name']))}</b> "
            f"({html.escape(_params_label(r, explored))}): "
            f"<pre>{html.escape(str(r['error'])[-1500:])}</pre></li>"
            for _, r in failed.iterrows()
        )
        sections.append(f"<h3>Failed runs</h3><ul>{rows}</ul>")
    return sections


def _write_page(study: Any, folder: Path, sections: list[str]) -> Path:
    """Write ``report.html`` holding ``sections`` (last, after the figures); return its path."""
    body = "\n".join(sections)
    title = f"neuroloom report: {study.path.name}"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>study <code>{html.escape(str(study.path))}</code> (id {html.escape(study.id)}), "
        f"written {time.strftime('%Y-%m-%d %H:%M:%S')}</p>{body}</body></html>"
    )
    target = folder / "report.html"
    try:
        write_bytes(target, page.encode("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _spikes(study: Any) -> pd.DataFrame | None:
    try:
        frame: pd.DataFrame = study.view.spikes(params=False)
    except EmptyDataError:
        return None
    return frame if len(frame) else None


def _spike_sections(
    study: Any,
    table: pd.DataFrame,
    spikes: pd.DataFrame,
    settings: dict[str, Any],
    params: list[str],
    explored: list[str],
    folder: Path,
    figures: list[str],
    n_runs: int,
    echo: Callable[[str], Any] | None,
) -> list[str]:
    window = _Window.of(settings, spikes)
    done = table[table["status"] == "done"]
    stats = run_statistics(
        spikes,
        window.t_start,
        window.t_stop,
        runs=done.index.tolist(),
        sizes=window.sizes,
        fano_window=window.fano_window,
    )
    if settings.get("populations"):
        stats = stats[stats["population"].isin(settings["populations"])]
    reserved = {"run", "population", *STAT_COLUMNS}
    labels = {p: f"st_{p}" if p in reserved else p for p in explored}
    axes = [labels[p] for p in params]
    stats = stats.join(done[explored].rename(columns=labels), on="run")
    write_bytes(folder / "statistics.csv", stats.to_csv(index=False).encode())
    sections = _phase_sections(stats, axes, window, folder, figures)
    wide = stats.pivot_table(index="run", columns="population", values=list(STATS), observed=True)
    wide.columns = [f"{key[0]}_{key[1]}" for key in wide.columns.to_flat_index()]
    summary = done[explored].rename(columns=labels).join(wide)
    sections.append("<h2>Statistics per run</h2>" + _table(summary))
    by_population = stats.groupby("population", observed=True)[list(STATS)].agg(["mean", "min", "max"])
    sections.append("<h3>Across runs</h3>" + _table(by_population))
    chosen = settings.get("report_runs") or _corner_runs(table, params, n_runs)
    sections.append(f"<h2>Activity of {len(chosen)} runs</h2>")
    sections += _activity_sections(done, spikes, chosen, explored, window, folder, figures)
    if echo is not None:
        echo(f"report: {len(figures)} figures")
    return sections


@dataclass(frozen=True)
class _Window:
    """The analysis window and binning of the spike sections."""

    t_start: float
    t_stop: float
    t_stop_all: float
    bin_size: float
    fano_window: float
    sizes: dict[str, int] | None

    @classmethod
    def of(cls, settings: dict[str, Any], spikes: pd.DataFrame) -> _Window:
        t_stop_all = settings.get("duration") or float(np.ceil(spikes["time"].max() + 1e-9))
        return cls(
            t_start=float(settings.get("t_start", 0.0)),
            t_stop=float(settings.get("t_stop") or t_stop_all),
            t_stop_all=t_stop_all,
            bin_size=float(settings.get("bin_size") or max((t_stop_all) / 100.0, 0.1)),
            fano_window=float(settings.get("fano_window") or 50.0),
            sizes=settings.get("sizes") or None,
        )


def _phase_sections(
    stats: pd.DataFrame, axes: list[str], window: _Window, folder: Path, figures: list[str]
) -> list[str]:
    """Phase diagrams of each statistic over the first two explored parameters (none without axes)."""
    if not axes:
        return []
    populations = sorted(stats["population"].unique())
    sections = [
        f"<h2>Phase diagrams</h2><p>Statistics in [{window.t_start:g}, {window.t_stop:g}) ms over "
        f"{html.escape(' x '.join(axes[:2]))}; rate counts silent neurons"
        f"{'' if window.sizes else ' (population sizes unknown: only neurons that spiked)'}; CV of "
        "inter-spike intervals and Fano factor of spike counts in "
        f"{window.fano_window:g} ms windows (≈1 for Poisson firing).</p>"
    ]
    for value in STATS:
        name = f"phase_{value}.png"
        phase_diagram(stats, value, axes[:2], populations, folder / name)
        figures.append(name)
        sections.append(f"<h3>{html.escape(value)}</h3><img src='{name}' alt='{value} phase diagram'>")
    return sections


def _activity_sections(
    done: pd.DataFrame,
    spikes: pd.DataFrame,
    chosen: Sequence[Any],
    explored: list[str],
    window: _Window,
    folder: Path,
    figures: list[str],
) -> list[str]:
    """A raster and a PSTH of each chosen run that is done."""
    sections: list[str] = []
    sizes = window.sizes
    for run in chosen:
        if run not in done.index:
            continue
        row: pd.Series = done.loc[int(run)]  # type: ignore[assignment]
        label = f"{row['name']} ({_params_label(row, explored)})" if explored else str(row["name"])
        part = spikes[spikes["run"] == run]
        if sizes:
            part = part[part["population"].astype(str).isin(list(sizes))]
        raster_name = f"raster_{run}.png"
        psth_name = f"psth_{run}.png"
        run_raster(
            part,
            f"{label}: first 100 neurons per population",
            folder / raster_name,
            t_start=window.t_start,
            t_stop=min(window.t_stop, window.t_start + 500.0),
        )
        run_psth(
            part,
            f"{label}: population rate",
            folder / psth_name,
            t_start=0.0,
            t_stop=window.t_stop_all,
            bin_size=window.bin_size,
            sizes=sizes,
            run=int(run),
        )
        figures += [raster_name, psth_name]
        sections.append(
            f"<h3>{html.escape(label)}</h3><img src='{raster_name}' alt='raster'><br>"
            f"<img src='{psth_name}' alt='PSTH'>"
        )
    return sections


def _result_sections(
    study: Any, table: pd.DataFrame, params: list[str], folder: Path, figures: list[str]
) -> list[str]:
    sections = ["<h2>Results</h2><p>No spikes are recorded in this study; numeric results per run:</p>"]
    explored = list(study.catalog.param_names())
    done = table[table["status"] == "done"]
    columns: dict[str, pd.Series] = {}
    for name in study.catalog.result_names():
        if name.startswith("_"):
            continue
        values = pd.to_numeric(study.results(name)[name], errors="coerce")
        if values.notna().any():
            columns[name] = values
    if not columns:
        sections.append("<p>(no numeric results)</p>")
        return sections
    frame = done[explored].join(pd.DataFrame(columns))
    sections.append(_table(frame))
    if params:
        long = frame.reset_index().melt(
            id_vars=["index", *explored], value_vars=list(columns), var_name="population", value_name="value"
        )
        name = "phase_results.png"
        phase_diagram(long, "value", params[:2], sorted(columns)[:6], folder / name)
        figures.append(name)
        sections.append(f"<img src='{name}' alt='results over the explored parameters'>")
    return sections
