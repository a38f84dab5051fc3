"""Study commands: ``neuroloom run STUDY.toml --set a.b=1`` and ``neuroloom status STUDY``.

A study file (TOML, YAML or JSON) looks like::

    [study]
    path = "ei"                  # study directory, relative to this file
    job = "jobs.py:simulate"     # file.py:function (relative to this file) or module:function
    seed = 1                     # optional
    backend = "processes"        # optional: serial, processes, dask
    workers = 2                  # optional

    [params]
    neuron.tau_m = { value = 20.0, unit = "ms", comment = "membrane time constant" }
    input.rate = 5.0

    [[explore]]
    grid = { "input.rate" = [5, 10], "neuron.tau_m" = [10.0, 20.0] }
    # or: zip = {...}; points = [{...}, ...];
    # random = { n = 10, seed = 1, "x" = [0.0, 1.0], "k" = { choice = [1, 2, 3] } }
    #   ([low, high] or { uniform = [low, high] }: uniform floats; { choice = [...] }: one of the values)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import click

from neuroloom.cli import main
from neuroloom.errors import StudyError


def _load_job(spec: str, base: Path) -> Any:
    target, sep, func = spec.rpartition(":")
    if not sep or not target or not func:
        raise StudyError(f"job {spec!r} must be 'file.py:function' or 'module:function'")
    if target.endswith(".py"):
        file = (base / target).resolve()
        if not file.is_file():
            raise StudyError(f"job file {file} does not exist (from job = {spec!r})")
        name = f"neuroloom_job_{file.stem}"
        module_spec = importlib.util.spec_from_file_location(name, file)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    else:
        module = importlib.import_module(target)
    try:
        return getattr(module, func)
    except AttributeError:
        raise StudyError(f"job {spec!r}: {target} has no function {func!r}") from None


def _distribution(name: str, value: Any) -> Any:
    """``[low, high]`` / ``{uniform = [low, high]}`` -> uniform; ``{choice = [...]}`` -> choice."""
    if isinstance(value, dict):
        if set(value) == {"choice"} and isinstance(value["choice"], list):
            return list(value["choice"])
        if set(value) == {"uniform"} and isinstance(value["uniform"], list) and len(value["uniform"]) == 2:
            return tuple(value["uniform"])
        raise StudyError(
            f"random: parameter {name!r}: use [low, high], {{uniform = [low, high]}} or {{choice = [...]}}"
        )
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, (int, float)) for x in value):
        return tuple(value)
    return value


def _design(entry: dict[str, Any]) -> Any:
    from neuroloom.params import explore

    if not isinstance(entry, dict) or len(entry) != 1:
        raise StudyError(f"each [[explore]] entry needs exactly one of grid, zip, points, random: {entry!r}")
    ((kind, spec),) = entry.items()
    if kind == "grid":
        return explore.grid(**spec)
    if kind == "zip":
        return explore.zip_(**spec)
    if kind == "points":
        return explore.points(spec)
    if kind == "random":
        spec = dict(spec)
        n, seed = spec.pop("n"), spec.pop("seed", None)
        dists = {k: _distribution(k, v) for k, v in spec.items()}
        return explore.random(n, seed, **dists)
    raise StudyError(f"unknown exploration {kind!r}; use grid, zip, points or random")


def _study_dir(path: str) -> Path:
    given = Path(path)
    if given.is_file():
        from neuroloom._io.config import read_config

        config = read_config(given)
        return (given.parent / str(config.get("study", {}).get("path", given.stem))).resolve()
    return given


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
def run_command(
    study_file: str,
    overrides: tuple[str, ...],
    backend: str | None,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    no_progress: bool,
) -> None:
    """Create or open the study described by STUDY_FILE and run its pending runs."""
    from neuroloom._io.config import read_config
    from neuroloom.datastore.study import Study
    from neuroloom.params.tree import ParamTree

    file = Path(study_file).resolve()
    config = read_config(file)
    if isinstance(config, dict) and "network" in config and "job" not in config.get("study", {}):
        from neuroloom.cli.report import run_network_study  # the main job: network + simulator

        args = (overrides, backend, workers, address, retry_failed, no_progress)
        return run_network_study(file, config, *args)
    if not isinstance(config, dict) or "study" not in config:
        raise StudyError(f"{file}: a study file needs a [study] table with path and job")
    meta = config["study"]
    if "job" not in meta:
        raise StudyError(f"{file}: [study] has no job = 'file.py:function'")
    study = Study(file.parent / str(meta.get("path", file.stem)), seed=meta.get("seed"))
    wanted = ParamTree()
    if config.get("params"):
        wanted.load(file, overrides)
    elif overrides:
        wanted.update(study.params.values())
        wanted.override(overrides)
    study.set_params(wanted, source=str(file))
    added = sum(study.explore(_design(entry)) for entry in config.get("explore", []))
    click.echo(f"study {study.path}: {added} new runs, {study.catalog.count('pending')} pending")
    job = _load_job(str(meta["job"]), file.parent)
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

    folder = _study_dir(study)
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
