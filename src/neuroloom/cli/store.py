"""Store commands: ``neuroloom ls`` and ``neuroloom show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from neuroloom.cli.group import main
from neuroloom.errors import NeuroloomError

if TYPE_CHECKING:
    from neuroloom.store.database import Database


def _open(path: str) -> Database:
    from neuroloom.store.uri import open_store

    folder = Path(path)
    if not (folder / "neuroloom.json").is_file():
        raise click.BadParameter(
            f"{folder} is not a neuroloom database (no neuroloom.json)", param_hint="PATH"
        )
    return open_store(folder)


def _human(size: object) -> str:
    if not isinstance(size, int):
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@main.command("ls")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def ls_command(path: str) -> None:
    """List the items of the database at PATH: key, codec, size, creation time."""
    from neuroloom.store.keys import key_to_text, normalize_key

    db = _open(path)
    rows = []
    for key in db:
        meta = db.metadata(key)
        rows.append(
            (key_to_text(normalize_key(key)), meta["codec"], _human(meta["size_bytes"]), meta["created"])
        )
    if not rows:
        click.echo(f"{db.path}: empty database")
        return
    width = max(len(r[0]) for r in rows)
    for name, codec, size, created in rows:
        click.echo(f"{name:<{width}}  {codec:<12} {size:>10}  {created}")
    click.echo(f"{len(rows)} items in {db.path}")


@main.command("show")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.argument("key")
@click.option("--allow-pickle", is_flag=True, help="Load pickled items (runs code from the file).")
@click.option("--rows", default=10, show_default=True, help="Rows or entries to preview.")
def show_command(path: str, key: str, allow_pickle: bool, rows: int) -> None:
    """Print the metadata and a preview of item KEY (nested keys as a/b) at PATH.

    For a study, KEY may be a run (``run_00000003``, ``runs/run_00000003`` or
    ``3``): its parameters, results and log (stdout, stderr, logging) are shown.
    """
    from neuroloom.store.keys import text_to_key
    from neuroloom.store.preview import preview
    from neuroloom.study.marker import STUDY_KIND

    db = _open(path)
    run = _run_key(key)
    if run is not None and db.kind == STUDY_KIND:
        from neuroloom.datastore.study import Study

        _show_run(Study(db.path), run, rows)
        return
    parts = text_to_key(key)
    meta = db.metadata(parts)
    meta["key"] = key
    click.echo(json.dumps(meta, indent=2, default=str))
    click.echo("--- preview")
    try:
        value = db.get(parts, allow_pickle=allow_pickle)
    except NeuroloomError as exc:
        click.echo(f"(not loaded: {exc})")
        return
    click.echo(preview(value, rows=rows))


def _run_key(key: str) -> int | None:
    """The run index KEY names (``3``, ``run_00000003``, ``runs/run_00000003``), else None."""
    from neuroloom.study.run import run_index

    text = key.strip("/").removeprefix("runs/")
    return int(text) if text.isdigit() else run_index(text)


def _show_run(study: Any, index: int, rows: int) -> None:
    from neuroloom.store.preview import preview

    view = study.run_view(index)
    click.echo(f"{view.name} (id {view.id}): {view.status}")
    click.echo("--- parameters")
    for name in view.params:
        click.echo(f"  {name} = {view.params[name]!r}")
    click.echo("--- results")
    for name, value in view.results.items():
        click.echo(f"  {name}: " + preview(value, rows=rows).replace("\n", "\n    "))
    click.echo("--- log")
    click.echo(view.log or "(nothing printed or logged)")
