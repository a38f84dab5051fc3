"""Study commands: ``neuroloom run STUDY.toml --set a.b=1``, ``neuroloom status STUDY`` and
``neuroloom study-file-docs``.

The study file format is documented in ``docs/study-file.md``, generated from
:mod:`neuroloom.studyfile.schema`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from neuroloom.cli.group import main
from neuroloom.errors import StudyError

RUN_HELP = """Create or open the study described by STUDY_FILE and run its pending runs.

\b
A study file (TOML, YAML or JSON; every key in docs/study-file.md) has either
  [network] (+ [simulation], [[inputs]], [analysis]): a network study, or
  [study] job = "file.py:function" (or "module:function"): a study of your
      own; the function is called with each run (run.params, run.save, ...),
and [params] (parameter tree) and [[explore]] (grid, zip, points, random).
"$name" values read a run parameter. The study folder is [study] path,
relative to the current directory, or to --out.
"""


SONATA_HELP = " A SONATA simulation_config.json runs as bmtk pointnet runs it (--simulator, --output-dir)."


@main.command("run", help=RUN_HELP + SONATA_HELP)
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder the study is created in ([study] path is relative to it; default: the current directory).",
)
@click.option("--backend", type=click.Choice(["serial", "processes", "dask"]), default=None)
@click.option("--workers", type=int, default=None)
@click.option("--address", default=None, help="dask scheduler address (backend dask).")
@click.option("--retry-failed", is_flag=True, help="Run failed runs again.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--overwrite", is_flag=True, help="Start afresh: delete the study first (only ever a neuroloom study)."
)
@click.option("--git-commit", is_flag=True, help="Commit the code (study/job file's repository) first.")
@click.option("--git-fail", is_flag=True, help="Refuse to run when that code has uncommitted changes.")
@click.option(
    "--simulator",
    type=click.Choice(["nest", "brian2", "neuron"]),
    default=None,
    help="SONATA configs: nest, brian2 or neuron.",
)
@click.option("--output-dir", default=None, help="SONATA configs: write outputs here.")
def run_command(
    study_file: str,
    overrides: tuple[str, ...],
    out: str | None,
    backend: str | None,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    no_progress: bool,
    git_commit: bool,
    git_fail: bool,
    overwrite: bool = False,
    simulator: str | None = None,
    output_dir: str | None = None,
) -> None:
    from neuroloom._io.config import read_config
    from neuroloom.sim.sonata_config import is_simulation_config
    from neuroloom.store.provenance import set_code_directory
    from neuroloom.studyfile.spec import parse_spec

    if is_simulation_config(study_file):
        from neuroloom.cli.sim import run_simulation_config

        return run_simulation_config(Path(study_file), simulator, output_dir)
    if simulator or output_dir:
        raise StudyError(
            f"{study_file}: --simulator and --output-dir apply to SONATA simulation configs only"
        )
    file = Path(study_file).resolve()
    spec = parse_spec(read_config(file), file, root=out)
    set_code_directory(file.parent)  # git provenance of the user's code, not of this console script
    args = (overrides, backend, workers, address, retry_failed, no_progress)
    if spec.job is None:
        from neuroloom.cli.report import run_network_study  # the main job: network + simulator

        if overwrite:
            from neuroloom.study.study import remove_study

            remove_study(spec.path)
        return run_network_study(spec, *args, git_commit=git_commit, git_fail=git_fail)
    return _run_job_study(spec, *args, git_commit=git_commit, git_fail=git_fail, overwrite=overwrite)


def _run_job_study(
    spec: object,
    overrides: tuple[str, ...],
    backend: str | None,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    no_progress: bool,
    *,
    git_commit: bool = False,
    git_fail: bool = False,
    overwrite: bool = False,
) -> None:
    """``neuroloom run`` for a study file with ``[study] job = "file.py:function"``."""
    from neuroloom.datastore.study import Study
    from neuroloom.params.tree import ParamTree
    from neuroloom.store.provenance import set_code_directory
    from neuroloom.studyfile.generic import design, load_job
    from neuroloom.studyfile.runner import explored_overrides
    from neuroloom.studyfile.spec import StudySpec

    assert isinstance(spec, StudySpec) and spec.job is not None
    for name in explored_overrides(spec, overrides):
        click.echo(
            f"warning: --set {name}=...: {name} is explored by [[explore]], "
            "so every run takes its value from there",
            err=True,
        )
    study = Study(spec.path, seed=spec.seed, overwrite=overwrite)
    wanted = ParamTree()
    if spec.raw.get("params"):
        wanted.load(spec.file, overrides)
    elif overrides:
        wanted.update(study.params.values())
        wanted.override(overrides)
    study.marker.set_params(wanted, source=str(spec.file))
    added = sum(study.explore(design(entry)) for entry in spec.explore)
    click.echo(f"study {study.path}: {added} new runs, {study.catalog.count('pending')} pending")
    job_target = spec.job.rpartition(":")[0]
    if job_target.endswith(".py"):
        set_code_directory((spec.file.parent / job_target).resolve().parent)
    job = load_job(spec.job, spec.file.parent)
    report = study.run(
        job,
        git_commit=git_commit,
        git_fail=git_fail,
        backend=backend or spec.backend,
        workers=workers or spec.workers,
        address=address or spec.address,
        retry_failed=retry_failed,
        progress=not no_progress,
        raise_on_failure=False,
    )
    click.echo(str(report))
    if report.failed:
        click.echo(f"first error:\n{report.first_error}", err=True)
        sys.exit(1)


@main.command("study-file-docs")
@click.argument("out", type=click.Path(dir_okay=False), required=False)
def study_file_docs_command(out: str | None) -> None:
    """Write the study-file reference (docs/study-file.md) generated from the schema to OUT (or print it)."""
    from neuroloom._io.atomic import write_bytes
    from neuroloom.studyfile.schema import render_markdown

    text = render_markdown()
    if out is None:
        click.echo(text, nl=False)
    else:
        write_bytes(Path(out), text.encode())
        click.echo(f"wrote {out}")


@main.command("status")
@click.argument("study", type=click.Path(exists=True))
def status_command(study: str) -> None:
    """Print the runs done, failed and pending of STUDY (a directory or study file),
    and the progress of a session running now (from any terminal)."""
    from neuroloom.store import registry
    from neuroloom.study.catalog import Catalog
    from neuroloom.study.lock import lock_is_live, read_lock
    from neuroloom.studyfile.generic import study_dir

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
