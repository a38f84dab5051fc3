"""Where simulators keep compiled code: one per-user cache, shared by every study.

``$NEUROLOOM_CACHE`` if set, else ``$XDG_CACHE_HOME/neuroloom``, else
``~/.cache/neuroloom``. Compiled code depends only on its sources (and the
simulator version), never on a study, so sharing it across studies and
processes means each mechanism set or Brian2 code object compiles once per
machine. The cache is independent of ``NEUROLOOM_HOME`` on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """The cache folder (created), or a sub-folder of it."""
    root = os.environ.get("NEUROLOOM_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "neuroloom"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
