"""``neuroloom import-isf``: an in_silico_framework database or simrun folders into a new study."""

from __future__ import annotations

import click

from neuroloom.cli.group import main


@main.command("import-isf")
@click.argument("source", type=click.Path(exists=True))
@click.argument("dest", type=click.Path())
@click.option(
    "--allow-pickle",
    is_flag=True,
    help="Load keys ISF stored with a pickle dumper (only for databases you trust).",
)
@click.option(
    "--threshold",
    type=float,
    default=0.0,
    show_default=True,
    help="Spike detection threshold (mV) for simrun soma traces.",
)
def import_isf_command(source: str, dest: str, allow_pickle: bool, threshold: float) -> None:
    """Import SOURCE (an ISF database or a folder of simrun folders) as a new study at DEST.

    Nothing is written at DEST unless the whole import succeeds.
    """
    from neuroloom.isf.importer import import_, summary

    study = import_(source, dest, allow_pickle=allow_pickle, threshold=threshold)
    info = summary(study)  # closes the study
    click.echo(
        f"imported {info['runs']} runs into {study.path} ({info['files']} files, {info['bytes']:,} bytes)"
    )
