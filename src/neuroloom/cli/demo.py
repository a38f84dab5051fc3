"""``neuroloom demo``: the E/I network study (or a tour of the Database)."""

from __future__ import annotations

from pathlib import Path

import click

from neuroloom.cli.group import main


@main.command("demo")
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False))
@click.option("--neurons", default=5000, show_default=True, help="Network size (80 % exc, 20 % inh).")
@click.option("--grid", default=4, show_default=True, help="Values per explored parameter (grid x grid).")
@click.option("--duration", default=1000.0, show_default=True, help="Simulated time per run (ms).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: CPU count).")
@click.option(
    "--backend", type=click.Choice(["serial", "processes", "dask"]), default="processes", show_default=True
)
@click.option(
    "--tour",
    type=click.Choice(["network", "store"]),
    default="network",
    show_default=True,
    help="network: the E/I network study; store: a tour of the Database.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def demo_command(
    out: str,
    neurons: int,
    grid: int,
    duration: float,
    workers: int | None,
    backend: str,
    tour: str,
    no_progress: bool,
) -> None:
    """Run the main demonstration: an E/I network explored over input rate x inhibition, with a report."""
    if tour == "store":
        from neuroloom.demos import store_tour

        store_tour.run(Path(out), echo=click.echo)
        return
    from neuroloom.demos import ei_network

    ei_network.run(
        Path(out),
        neurons=neurons,
        grid=grid,
        duration=duration,
        workers=workers,
        backend=backend,
        progress=not no_progress,
        echo=click.echo,
    )
