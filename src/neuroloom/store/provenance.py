"""Where a value came from: versions, host, user and the caller's git state.

Everything here is computed once per process and cached: the code a process
runs does not change while it runs, and a git call costs milliseconds.
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from neuroloom._version import __version__

KEY_PACKAGES = ("numpy", "pandas", "pyarrow", "h5py", "dask", "zarr")
SIMULATORS = {"brian2": "brian2", "nest": "nest-simulator", "neuron": "neuron"}


@functools.cache
def _distribution_version(name: str) -> str | None:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def package_versions() -> dict[str, str]:
    """Versions of the key data packages, and of simulators already imported."""
    versions = {}
    for name in KEY_PACKAGES:
        version = _distribution_version(name)
        if version is not None:
            versions[name] = version
    for module, dist in SIMULATORS.items():
        if module in sys.modules:
            version = getattr(sys.modules[module], "__version__", None) or _distribution_version(dist)
            versions[module] = str(version)
    return versions


CODE_DIR_ENV = "NEUROLOOM_CODE_DIR"
"""Environment variable naming the directory of the user's code (set by ``neuroloom run``).

An environment variable, so worker processes started by this one inherit it."""


def set_code_directory(path: str | os.PathLike[str]) -> None:
    """Take the git state of provenance from ``path`` (the study or job file's folder).

    ``neuroloom run`` calls it: otherwise the "running script" is the console
    script in the virtualenv, whose repository (if any) is not the user's code.
    """
    os.environ[CODE_DIR_ENV] = str(Path(path).resolve())


def caller_directory() -> Path:
    """Directory of the user's code: the one set by :func:`set_code_directory`, else the
    directory of the running script, or the working directory if interactive."""
    override = os.environ.get(CODE_DIR_ENV)
    if override:
        return Path(override)
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main_file:
        return _script_directory(main_file)
    return Path.cwd()


@functools.lru_cache(maxsize=4)
def _script_directory(main_file: str) -> Path:
    return Path(main_file).resolve().parent


@functools.lru_cache(maxsize=16)
def git_state(directory: str) -> dict[str, Any]:
    """Git commit, dirty flag and top level of the repository holding ``directory``.

    Returns an empty dict when ``directory`` is not in a git repository or git
    is not installed. Untracked files do not make a tree dirty.
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", directory, *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None:
        return {}
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"repo": top, "commit": commit, "dirty": bool(status)}


@functools.lru_cache(maxsize=1)
def _static() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    return {
        "neuroloom": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "user": user,
    }


def collect() -> dict[str, Any]:
    """Provenance of a value written now by this process.

    Returns
    -------
    dict
        ``neuroloom``, ``python``, ``platform``, ``host``, ``user``,
        ``packages`` (name to version) and ``git`` (``repo``, ``commit``,
        ``dirty``; empty outside a repository).
    """
    record = dict(_static())
    record["packages"] = package_versions()
    record["git"] = git_state(str(caller_directory()))
    return record
