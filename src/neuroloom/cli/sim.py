"""``neuroloom run`` on a SONATA simulation config, and ``neuroloom compare CONFIG``.

``run`` is the study command (``cli/study.py``); this module widens it: a
JSON file whose top level has ``run``, ``network`` or ``networks`` is a
SONATA simulation config and runs with :func:`neuroloom.sim.run_config`
(``--simulator``, ``--output-dir``); anything else goes to the study command
unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from neuroloom.cli import study as _study_commands  # noqa: F401  (registers the run command this widens)
from neuroloom.cli.group import main
from neuroloom.errors import StudyError

_SIMULATORS = click.Choice(["nest", "brian2", "neuron"])


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


def _widen_run_command() -> None:
    command = main.commands["run"]
    study_callback = command.callback
    assert study_callback is not None
    command.params += [
        click.Option(
            ["--simulator"], type=_SIMULATORS, default=None, help="SONATA configs: nest, brian2 or neuron."
        ),
        click.Option(["--output-dir"], default=None, help="SONATA configs: write outputs here."),
    ]
    command.help = (command.help or "") + (
        " A SONATA simulation_config.json runs as bmtk pointnet runs it (--simulator, --output-dir)."
    )

    def callback(study_file: str, simulator: str | None, output_dir: str | None, **options: Any) -> Any:
        from neuroloom.sim.sonata_config import is_simulation_config

        if is_simulation_config(study_file):
            return run_simulation_config(Path(study_file), simulator, output_dir)
        if simulator or output_dir:
            raise StudyError(
                f"{study_file}: --simulator and --output-dir apply to SONATA simulation configs only"
            )
        return study_callback(study_file, **options)

    command.callback = callback


_widen_run_command()


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
