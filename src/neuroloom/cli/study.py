"""Study commands: ``neuroloom run STUDY.toml --set a.b=1`` and ``neuroloom status STUDY``.

The study file format is documented in :mod:`neuroloom.studyfile.generic`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from neuroloom.cli.group import main
from neuroloom.errors import StudyError
from neuroloom.studyfile.generic import design, load_job, study_dir


@main.command("run")
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable)."
)
@click.option("--backend", type=click.Choice(["serial", "processes", "dask"]), default=None)
@click.option("--workers", type=int, default=None)
@click.option("--address", default=None, help="dask scheduler address (backend dask).")
@click.option("--retry-failed", is_flag=True, help="Run failed runs again.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--overwrite", is_flag=True, help="Start afresh: delete the study first (only ever a neuroloom study)."
)
def run_command(
    study_file: str,
    overrides: tuple[str, ...],
    backend: str | None,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    no_progress: bool,
    overwrite: bool = False,
) -> None:
    """Create or open the study described by STUDY_FILE and run its pending runs."""
    from neuroloom._io.config import read_config
    from neuroloom.datastore.study import Study
    from neuroloom.params.tree import ParamTree

    file = Path(study_file).resolve()
    config = read_config(file)
    if isinstance(config, dict) and "network" in config and "job" not in config.get("study", {}):
        from neuroloom.cli.report import run_network_study  # the main job: network + simulator

        if overwrite:
            from neuroloom.study.study import remove_study

            remove_study(file.parent / str(config.get("study", {}).get("path", file.stem)))
        args = (overrides, backend, workers, address, retry_failed, no_progress)
        return run_network_study(file, config, *args)
    if not isinstance(config, dict) or "study" not in config:
        raise StudyError(f"{file}: a study file needs a [study] table with path and job")
    meta = config["study"]
    if "job" not in meta:
        raise StudyError(f"{file}: [study] has no job = 'file.py:function'")
    study = Study(file.parent / str(meta.get("path", file.stem)), seed=meta.get("seed"), overwrite=overwrite)
    wanted = ParamTree()
    if config.get("params"):
        wanted.load(file, overrides)
    elif overrides:
        wanted.update(study.params.values())
        wanted.override(overrides)
    study.set_params(wanted, source=str(file))
    added = sum(study.explore(design(entry)) for entry in config.get("explore", []))
    click.echo(f"study {study.path}: {added} new runs, {study.catalog.count('pending')} pending")
    job = load_job(str(meta["job"]), file.parent)
    report = study.run(
        job,
        backend=backend or meta.get("backend", "processes"),
        workers=workers or meta.get("workers"),
        address=address or meta.get("address"),
        retry_failed=retry_failed,
        progress=not no_progress,
        raise_on_failure=False,
    )
    click.echo(str(report))
    if report.failed:
        click.echo(f"first error:\n{report.first_error}", err=True)
        sys.exit(1)


@main.command("status")
@click.argument("study", type=click.Path(exists=True))
def status_command(study: str) -> None:
    """Print the runs done, failed and pending of STUDY (a directory or study file),
    and the progress of a session running now (from any terminal)."""
    from neuroloom.store import registry
    from neuroloom.study.catalog import Catalog
    from neuroloom.study.lock import lock_is_live, read_lock

    folder = study_dir(study)
    if not (folder / registry.MARKER).is_file() or not (folder / "catalog.sqlite").is_file():
        raise StudyError(f"{folder} is not a study (no neuroloom.json and catalog.sqlite)")
    catalog = Catalog(folder, readonly=True)
    try:
        counts = catalog.counts()
        progress = catalog.get_meta("progress")
    finally:
        catalog.close()
    total = sum(counts.values())
    click.echo(
        f"{folder}: {total} runs: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['pending']} pending"
    )
    lock = read_lock(folder)
    if lock and lock_is_live(lock):
        click.echo(f"in use by pid {lock.get('pid')} on {lock.get('host')} ({lock.get('purpose')})")
        if progress and progress.get("pid") == lock.get("pid"):
            eta = progress.get("eta")
            eta_text = "-" if eta is None else f"{eta:.0f} s"
            ago = time.time() - progress["updated"]
            click.echo(
                f"session {progress['session']}: {progress['finished']}/{progress['total']} runs this "
                f"session, {progress['failed']} failed, {progress['rate']:.1f} runs/s, "
                f"ETA {eta_text}, updated {ago:.0f} s ago"
            )
    else:
        click.echo("no coordinator is running")
