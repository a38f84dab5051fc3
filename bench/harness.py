"""The shared harness of the bench scripts: timing, peer virtualenvs, peer processes, tables, JSON results.

A bench script runs neuroloom and a peer tool on the same work in one run and
prints the ratio. Scripts are run as ``python bench/<script>.py``, so this
folder is on ``sys.path`` and ``import harness`` needs no path edit.

- :func:`time_it` times a callable over repeats: :class:`Timing` with the
  best, the median and every time, and the last result (to compare answers).
- :func:`peer_env` creates or reuses ``bench/.venv-<name>`` holding the
  given requirements (peer tools whose pins clash with ours, e.g. pypet
  needs ``numpy<2``); it returns a :class:`PeerEnv` with its interpreter.
- :func:`run_json` runs a peer script (or ``-c`` snippet) with a given
  interpreter in a subprocess, from this folder, and returns the JSON object
  printed on its last stdout line.
- :func:`print_table` prints rows of figures with a ratio column against a
  reference row.
- :class:`Results` collects a script's figures and writes them to
  ``bench/out/<script>.json`` (temp name, then rename).
- :func:`parser` is an ``argparse`` parser with the common ``--quick`` flag
  (small sizes: a smoke run of a few seconds to a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
ENV_MARKER = "neuroloom-peer-env.json"

__all__ = [
    "BENCH_DIR",
    "OUT_DIR",
    "PeerEnv",
    "Results",
    "Timing",
    "parser",
    "peer_env",
    "print_table",
    "run_json",
    "time_it",
    "verdict",
]


# ------------------------------------------------------------------ timing
@dataclass(frozen=True)
class Timing:
    """Seconds of each repeat of a timed call, and what the last call returned."""

    times: tuple[float, ...]
    result: Any = field(default=None, repr=False, compare=False)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def as_dict(self) -> dict[str, Any]:
        """``best``, ``median`` and ``times`` in seconds (JSON-ready, no result)."""
        return {"best": self.best, "median": self.median, "times": list(self.times)}


def time_it(fn: Callable[[], Any], repeats: int = 1, *, before: Callable[[], Any] | None = None) -> Timing:
    """Call ``fn`` ``repeats`` times and time each call with ``time.perf_counter``.

    ``before`` (untimed) runs before each call, e.g. to clear a cache.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    times = []
    result: Any = None
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return Timing(tuple(times), result)


# ------------------------------------------------------------- peer venvs
@dataclass(frozen=True)
class PeerEnv:
    """A peer virtualenv: interpreter, requirements, optional extras and installed versions."""

    name: str
    python: Path
    requirements: tuple[str, ...]
    optional: Mapping[str, str | None]
    errors: Mapping[str, str]
    versions: Mapping[str, str | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "python": str(self.python),
            "requirements": list(self.requirements),
            "optional": dict(self.optional),
            "errors": dict(self.errors),
            "versions": dict(self.versions),
        }


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _version(python: Path, distribution: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _marker(env_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((env_dir / ENV_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def peer_env(
    name: str,
    requirements: Sequence[str],
    *,
    optional: Mapping[str, Sequence[str]] | None = None,
    versions: Sequence[str] = (),
    env_dir: Path | None = None,
) -> PeerEnv:
    """Create ``bench/.venv-<name>`` with ``requirements`` unless an up-to-date one exists.

    Parameters
    ----------
    name
        Short name of the peer (``"pypet"`` -> ``bench/.venv-pypet``).
    requirements
        pip requirements that must install (``RuntimeError`` otherwise).
    optional
        Extras tried one by one after the requirements: ``{label: requirements}``.
        A failure is recorded in ``errors[label]``, not raised; on success
        ``optional[label]`` is the installed version of the distribution ``label``.
    versions
        Distributions whose installed versions are recorded.
    env_dir
        Folder of the virtualenv (default ``bench/.venv-<name>``).

    The environment is reused as it is when its marker file names the same
    requirements and optional labels (delete the folder to rebuild it).
    """
    env_dir = env_dir if env_dir is not None else BENCH_DIR / f".venv-{name}"
    python = env_dir / "bin" / "python"
    extras = {label: list(reqs) for label, reqs in (optional or {}).items()}
    wanted = {"requirements": list(requirements), "optional_requirements": extras}
    marker = _marker(env_dir)
    if marker is not None and python.exists() and all(marker.get(k) == v for k, v in wanted.items()):
        return _peer_from(name, marker)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(env_dir)
        (env_dir / ".gitignore").write_text("*\n")
    done = _pip(python, "install", *requirements)
    if done.returncode != 0:
        raise RuntimeError(
            f"pip could not install {list(requirements)} into {env_dir}:\n{done.stderr[-2000:]}"
        )
    installed: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for label, reqs in extras.items():
        got = _pip(python, "install", *reqs)
        installed[label] = _version(python, label) if got.returncode == 0 else None
        if got.returncode != 0:
            errors[label] = got.stderr[-2000:] or "pip failed"
    info = {
        **wanted,
        "name": name,
        "python": str(python),
        "optional": installed,
        "errors": errors,
        "versions": {dist: _version(python, dist) for dist in versions},
    }
    (env_dir / ENV_MARKER).write_text(json.dumps(info, indent=1))
    return _peer_from(name, info)


def _peer_from(name: str, info: Mapping[str, Any]) -> PeerEnv:
    return PeerEnv(
        name=name,
        python=Path(info["python"]),
        requirements=tuple(info["requirements"]),
        optional=dict(info.get("optional") or {}),
        errors=dict(info.get("errors") or {}),
        versions=dict(info.get("versions") or {}),
    )


# ------------------------------------------------------- peer processes
def run_json(
    args: Sequence[str],
    *,
    python: str | Path = sys.executable,
    timeout: float | None = None,
    what: str = "peer process",
) -> Any:
    """Run ``python *args`` from the bench folder and return the JSON of its last stdout line.

    ``args`` is a script path and its arguments, or ``["-c", code, ...]``; the
    working directory is ``bench/`` so a ``-c`` snippet can ``import`` the bench
    scripts and this module. ``RuntimeError`` (with the end of stderr) if the
    process fails or prints no JSON.
    """
    done = subprocess.run(
        [str(python), *args], capture_output=True, text=True, check=False, cwd=BENCH_DIR, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        raise RuntimeError(
            f"{what} printed no JSON on its last line:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}"
        ) from None


# ------------------------------------------------------------- printing
def print_table(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    reference: str | None = None,
    ratio: str | None = None,
    scale: float = 1.0,
    unit: str = "s",
) -> None:
    """Print ``rows`` (each a ``name`` and figures) with a ratio of column ``ratio`` to the ``reference`` row.

    Float columns are times: shown multiplied by ``scale`` (``1e3`` with
    ``unit="ms"``), except columns whose name holds ``ratio`` (shown as ``1.23x``);
    other columns (counts) are shown as they are, without the unit.
    """
    columns = [c for c in rows[0] if c != "name"]
    width = max(len(str(r["name"])) for r in rows) + 2
    ref = next((r for r in rows if r["name"] == reference), None) if reference else None
    timed = {c for c in columns if isinstance(rows[0][c], float) and "ratio" not in c}
    head = f"{'':<{width}}" + "".join(f"{f'{c} {unit}' if c in timed else c:>14}" for c in columns)
    if ref is not None and ratio is not None:
        head += f"{'vs ' + str(reference)[:20]:>26}"
    print(f"\n{title}\n{head}")
    for row in rows:
        line = f"{row['name']!s:<{width}}" + "".join(_cell(c, row[c], scale) for c in columns)
        if ref is not None and ratio is not None:
            line += f"{row[ratio] / ref[ratio]:>25.2f}x"
        print(line)


def _cell(column: str, value: Any, scale: float) -> str:
    if isinstance(value, float):
        return f"{value:>13.2f}x" if "ratio" in column else f"{value * scale:>14.3f}"
    return f"{value!s:>14}"


def verdict(ok: bool) -> str:
    """``"met"`` or ``"MISSED"``, for a target line."""
    return "met" if ok else "MISSED"


# ------------------------------------------------------------- results
class Results:
    """Figures of one bench script, written to ``bench/out/<script>.json``.

    ``script`` is the script's file name or stem (``Results(__file__)``).
    """

    def __init__(
        self, script: str | Path, args: argparse.Namespace | Mapping[str, Any] | None = None
    ) -> None:
        self.script = Path(script).stem
        options = vars(args) if isinstance(args, argparse.Namespace) else dict(args or {})
        self.data: dict[str, Any] = {
            "script": self.script,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "argv": sys.argv[1:],
            "options": {
                k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
                for k, v in options.items()
            },
            "python": platform.python_version(),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "results": {},
        }

    def add(self, name: str, value: Any) -> Any:
        """Record ``value`` (JSON-able; a :class:`Timing` or :class:`PeerEnv` as its dict) under ``name``."""
        self.data["results"][name] = value.as_dict() if hasattr(value, "as_dict") else value
        return value

    def write(self, folder: Path = OUT_DIR) -> Path:
        """Write the JSON file (temp name, then rename) and return its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.script}.json"
        tmp = folder / f".tmp-{self.script}-{os.getpid()}.json"
        tmp.write_text(json.dumps(self.data, indent=1, default=_jsonable))
        tmp.replace(path)
        print(f"\nresults written to {path}")
        return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def parser(doc: str | None, *, quick: str = "small sizes (a smoke run)") -> argparse.ArgumentParser:
    """An ``ArgumentParser`` described by the script's docstring, with ``--quick``."""
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--quick", action="store_true", help=quick)
    return made


class Clock:
    """Wall and CPU seconds since creation, and named laps (a child process's own step timings)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.laps: dict[str, float] = {}

    def lap(self, name: str, seconds: float) -> None:
        self.laps[name] = seconds

    def done(self, spikes: int) -> dict[str, Any]:
        return {
            "seconds": time.perf_counter() - self.wall,
            "cpu": time.process_time() - self.cpu,
            "spikes": spikes,
            **self.laps,
        }
