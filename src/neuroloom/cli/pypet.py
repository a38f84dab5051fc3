"""``neuroloom import-pypet FILE.hdf5 DEST``: a pypet trajectory as a neuroloom study."""

from __future__ import annotations

import click

from neuroloom.cli.group import main


@main.command("import-pypet")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--name", "name", default=None, help="The trajectory (when the file holds several).")
@click.option("--list", "list_only", is_flag=True, help="List the file's trajectories and stop.")
@click.option("--allow-pickle", is_flag=True, help="Read items pypet pickled (only for files you trust).")
@click.option(
    "--seed", type=int, default=None, help="Seed of the new study (to merge imports: give all one)."
)
def import_pypet_command(
    file: str, dest: str, name: str | None, list_only: bool, allow_pickle: bool, seed: int | None
) -> None:
    """Import trajectory NAME of the pypet file FILE as a new study at DEST.

    Parameters (values, units, comments, explored ranges), one run per explored
    point with its results and times, monitors as recordings. Nothing is written
    at DEST unless the import succeeds.
    """
    from neuroloom.pypet import list_trajectories
    from neuroloom.pypet.importer import import_

    if list_only:
        for trajectory in list_trajectories(file):
            click.echo(trajectory)
        return
    study = import_(file, dest, name, allow_pickle=allow_pickle, seed=seed)
    counts = study.catalog.counts()
    click.echo(
        f"imported {file} into {study.path}: {len(study.params)} parameters, "
        f"{counts.get('done', 0)} finished runs, {counts.get('pending', 0)} pending"
    )
