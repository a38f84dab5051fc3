"""The ``neuroloom`` command line: click plumbing only, one module per command group.

:mod:`neuroloom.cli.group` holds the group; each module below registers its
commands on it when imported. No library module imports this package.
"""

from __future__ import annotations

from neuroloom.cli import demo as _demo  # noqa: F401
from neuroloom.cli import isf as _isf  # noqa: F401
from neuroloom.cli import pypet as _pypet  # noqa: F401
from neuroloom.cli import report as _report  # noqa: F401
from neuroloom.cli import sim as _sim  # noqa: F401
from neuroloom.cli import sonata as _sonata  # noqa: F401
from neuroloom.cli import store as _store  # noqa: F401
from neuroloom.cli import study as _study  # noqa: F401
from neuroloom.cli.group import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
