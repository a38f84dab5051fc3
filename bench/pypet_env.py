"""Create (or reuse) the pypet virtualenv used by the pypet benches and test-data scripts.

pypet is not a neuroloom dependency: it lives in its own virtualenv,
``bench/.venv-pypet`` (gitignored), with ``numpy<2`` (pypet needs the 1.x API),
PyTables and, when a release compatible with ``numpy<2`` installs, Brian2.

The function is idempotent: a virtualenv whose marker file names the same
requirements is reused as it is. Run::

    python bench/pypet_env.py            # create or reuse, print the interpreter path
    python bench/pypet_env.py --no-brian2

Other bench scripts call :func:`ensure_pypet_env` and run their pypet half
with the returned interpreter in a subprocess.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import venv
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_ENV = BENCH_DIR / ".venv-pypet"
CORE_REQUIREMENTS = ("pypet", "numpy<2", "tables", "pandas<2.3")
# Brian2 2.7 is the last line built against numpy 1.x; pip picks the newest
# release that accepts the numpy<2 constraint above.
BRIAN2_REQUIREMENT = "brian2<2.8"
MARKER = "neuroloom-pypet-env.json"


def env_python(env_dir: Path) -> Path:
    """Return the interpreter of the virtualenv at ``env_dir``."""
    return env_dir / "bin" / "python"


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _read_marker(env_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def ensure_pypet_env(env_dir: Path = DEFAULT_ENV, *, brian2: bool = True) -> dict[str, object]:
    """Create the pypet virtualenv unless an up-to-date one exists.

    Parameters
    ----------
    env_dir
        Folder of the virtualenv.
    brian2
        Also try to install Brian2 (a failure is recorded, not raised).

    Returns
    -------
    dict
        ``python`` (interpreter path), ``requirements``, ``brian2`` (installed
        version or ``None``), ``brian2_error`` (pip's last lines when it failed)
        and ``versions`` (pypet, numpy, tables, pandas).
    """
    wanted = list(CORE_REQUIREMENTS)
    marker = _read_marker(env_dir)
    python = env_python(env_dir)
    if (
        marker is not None
        and marker.get("requirements") == wanted
        and (marker.get("brian2") is not None or not brian2 or marker.get("brian2_error"))
        and python.exists()
    ):
        return marker
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(env_dir)
    done = _pip(python, "install", "--quiet", *wanted)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {wanted} into {env_dir}:\n{done.stderr[-2000:]}")
    info: dict[str, object] = {"python": str(python), "requirements": wanted}
    info["brian2"] = None
    info["brian2_error"] = None
    if brian2:
        got = _pip(python, "install", "--quiet", BRIAN2_REQUIREMENT, "numpy<2")
        if got.returncode == 0:
            info["brian2"] = _version(python, "brian2")
        else:
            info["brian2_error"] = got.stderr[-2000:] or "pip failed"
    info["versions"] = {name: _version(python, name) for name in ("pypet", "numpy", "tables", "pandas")}
    (env_dir / MARKER).write_text(json.dumps(info, indent=1))
    return info


def _version(python: Path, module: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({module!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", type=Path, default=DEFAULT_ENV, help="virtualenv folder")
    parser.add_argument("--no-brian2", action="store_true", help="do not try to install Brian2")
    args = parser.parse_args()
    info = ensure_pypet_env(args.env, brian2=not args.no_brian2)
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
