"""``neuroloom validate CONFIG_OR_FILE``: list SONATA spec violations."""

from __future__ import annotations

import sys

import click

from neuroloom.cli.group import main


@main.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--strict", is_flag=True, help="Fail on warnings too (e.g. gzip, several groups).")
def validate_command(path: str, strict: bool) -> None:
    """Check a circuit or simulation config, node sets file, nodes/edges file or report against the spec.

    Every problem is printed with its file and dataset path (or config key) and
    the rule it breaks; exit status 1 when there are errors.
    """
    from neuroloom.sonata.validate import validate

    found = validate(path)
    for item in found:
        click.echo(str(item))
    errors = [v for v in found if v.level == "error" or strict]
    n_warn = sum(v.level == "warning" for v in found)
    click.echo(f"{path}: {len(found) - n_warn} errors, {n_warn} warnings")
    if errors:
        sys.exit(1)
