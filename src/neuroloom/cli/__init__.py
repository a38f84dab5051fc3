"""The ``neuroloom`` command line.

The group lives here; each layer adds its commands from its own module
(``cli/store.py``, ...), imported at the bottom of this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from neuroloom._version import __version__
from neuroloom.errors import NeuroloomError


class _Group(click.Group):
    """Turns neuroloom errors into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except NeuroloomError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="neuroloom")
def main() -> None:
    """neuroloom: build networks, explore parameters, run and query studies."""


@main.command("demo")
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False))
def demo_command(out: str) -> None:
    """Run the main demonstration and print what it did."""
    from neuroloom.demos import store_tour

    store_tour.run(Path(out), echo=click.echo)


# Commands of each layer register themselves on ``main`` when imported.
from neuroloom.cli import store as _store  # noqa: E402,F401
from neuroloom.cli import study as _study  # noqa: E402,F401
from neuroloom.cli import sonata as _sonata  # noqa: E402,F401

if __name__ == "__main__":  # pragma: no cover
    main()
