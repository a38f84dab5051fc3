"""The ``neuroloom`` click group: every command module registers its commands on :data:`main`."""

from __future__ import annotations

import sys

import click

from neuroloom._version import __version__
from neuroloom.errors import NeuroloomError

__all__ = ["main"]


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
