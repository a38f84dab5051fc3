"""``neuroloom report STUDY`` and the main ``neuroloom demo``."""

from __future__ import annotations

from typing import Any

import click

from neuroloom.cli.group import main


@main.command("report")
@click.argument("study", type=click.Path(exists=True))
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, help="Report folder (default STUDY/report)."
)
@click.option("--runs", type=int, default=4, show_default=True, help="Runs shown with a raster and a PSTH.")
def report_command(study: str, out: str | None, runs: int) -> None:
    """Write report.html (phase diagrams, rasters, PSTHs, rate/CV/Fano tables) for STUDY
    (a study directory or the study file that made it)."""
    from neuroloom.report import build_report
    from neuroloom.studyfile.generic import study_dir

    page = build_report(study_dir(study), out, runs=runs)
    click.echo(f"report: {page}")


def run_network_study(
    spec: Any,
    overrides: tuple[str, ...],
    backend: str | None,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    no_progress: bool,
    *,
    git_commit: bool = False,
    git_fail: bool = False,
) -> None:
    """``neuroloom run`` for a study file with a ``[network]`` section (the main job), then its report."""
    import sys

    import pandas as pd

    from neuroloom.report import build_report, results_table
    from neuroloom.studyfile import run_spec

    study, report = run_spec(
        spec,
        overrides,
        backend=backend,
        workers=workers,
        address=address,
        retry_failed=retry_failed,
        progress=not no_progress,
        echo=click.echo,
        git_commit=git_commit,
        git_fail=git_fail,
    )
    click.echo(str(report))
    if report.done or study.catalog.count("done"):
        page = build_report(study, progress=not no_progress)
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 2):
            click.echo(results_table(study).to_string())
        click.echo(f"report: {page}")
    if report.failed:
        click.echo(f"{report.failed} run(s) failed; first error:\n{report.first_error}", err=True)
        sys.exit(1)
