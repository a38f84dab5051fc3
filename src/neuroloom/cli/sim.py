"""``neuroloom run`` on a SONATA simulation config, and ``neuroloom compare CONFIG``.

``neuroloom run`` (``cli/study.py``) hands a JSON file whose top level has
``run``, ``network`` or ``networks`` (a SONATA simulation config) to
:func:`run_simulation_config` here, which runs it with
:func:`neuroloom.sim.run_config` (``--simulator``, ``--output-dir``).
"""

from __future__ import annotations

from pathlib import Path

import click

from neuroloom.cli.group import main


def run_simulation_config(path: Path, simulator: str | None, output_dir: str | None) -> None:
    """Run one SONATA simulation config and print where its outputs went."""
    from neuroloom.sim import run_config

    run = run_config(path, simulator, output_dir=output_dir)
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    for row in run.result.summary().itertuples():
        click.echo(f"{row.population}: {row.size} nodes, {row.spikes} spikes, {row.rate_hz:.3f} Hz")
    for name, file in run.outputs.items():
        click.echo(f"{name}: {file}")


@main.command("compare")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--simulators",
    default="nest,brian2",
    show_default=True,
    help="Comma-separated; the first is the reference.",
)
@click.option("--out", default="compare.html", show_default=True, help="The HTML report.")
@click.option("--target", default="auto", show_default=True, help="Brian2 code generation target.")
def compare_command(config: str, simulators: str, out: str, target: str) -> None:
    """Run one SONATA simulation config on several simulators and write an HTML comparison."""
    from neuroloom.sim.compare import compare_config, write_html

    names = [s.strip() for s in simulators.split(",") if s.strip()]
    comparison = compare_config(config, names, target=target)
    columns = ["population", "simulator", "spikes", "rate_hz", "rate_rel_diff", "count_corr", "isi_ks"]
    click.echo(comparison.table[columns].to_string(index=False))
    click.echo(f"report: {write_html(comparison, out)}")
