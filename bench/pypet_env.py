"""Create (or reuse) the pypet virtualenv used by the pypet benches and test-data scripts.

pypet is not a neuroloom dependency: it lives in its own virtualenv,
``bench/.venv-pypet`` (gitignored), with ``numpy<2`` (pypet needs the 1.x API),
PyTables and, when a release compatible with ``numpy<2`` installs, Brian2.
The virtualenv is made by :func:`harness.peer_env` (idempotent: reused as it
is while its marker file names the same requirements). Run::

    python bench/pypet_env.py            # create or reuse, print what it holds
    python bench/pypet_env.py --no-brian2

Other bench scripts call :func:`ensure_pypet_env` and run their pypet half
(``bench/pypet_side.py``) with the returned interpreter through
:func:`harness.run_json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness import BENCH_DIR, PeerEnv, peer_env

DEFAULT_ENV = BENCH_DIR / ".venv-pypet"
CORE_REQUIREMENTS = ("pypet", "numpy<2", "tables", "pandas<2.3")
# Brian2 2.7 is the last line built against numpy 1.x; pip picks the newest
# release that accepts the numpy<2 constraint.
BRIAN2_REQUIREMENTS = ("brian2<2.8", "numpy<2")
VERSIONS = ("pypet", "numpy", "tables", "pandas")


def ensure_pypet_env(env_dir: Path = DEFAULT_ENV, *, brian2: bool = True) -> PeerEnv:
    """The pypet virtualenv (created on first use); ``optional["brian2"]`` is Brian2's version or None."""
    optional = {"brian2": BRIAN2_REQUIREMENTS} if brian2 else {}
    return peer_env("pypet", CORE_REQUIREMENTS, optional=optional, versions=VERSIONS, env_dir=env_dir)


def main() -> int:
    args_parser = argparse.ArgumentParser(description=__doc__)
    args_parser.add_argument("--env", type=Path, default=DEFAULT_ENV, help="virtualenv folder")
    args_parser.add_argument("--no-brian2", action="store_true", help="do not try to install Brian2")
    args = args_parser.parse_args()
    print(json.dumps(ensure_pypet_env(args.env, brian2=not args.no_brian2).as_dict(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
