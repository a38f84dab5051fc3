"""The generic study file: ``[study] job = "file.py:function"``, ``[params]`` and ``[[explore]]``.

A study file (TOML, YAML or JSON) looks like::

    [study]
    path = "ei"                  # study directory, relative to the current directory (or --out)
    job = "jobs.py:simulate"     # file.py:function (relative to this file) or module:function
    seed = 1                     # optional
    backend = "processes"        # optional: serial, processes, dask
    workers = 2                  # optional

    [params]
    neuron.tau_m = { value = 20.0, unit = "ms", comment = "membrane time constant" }
    input.rate = 5.0

    [[explore]]
    grid = { "input.rate" = [5, 10], "neuron.tau_m" = [10.0, 20.0] }
    # or: zip = {...}; points = [{...}, ...];
    # random = { n = 10, seed = 1, "x" = [0.0, 1.0], "k" = { choice = [1, 2, 3] } }
    #   ([low, high] or { uniform = [low, high] }: uniform floats; { choice = [...] }: one of the values)

The network study file (``[network]`` section) is parsed by :mod:`neuroloom.studyfile.spec`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from neuroloom.errors import StudyError, StudyFileError

__all__ = ["check_design", "design", "distribution", "load_job", "study_dir"]

EXPLORATIONS = ("grid", "zip", "points", "random")


def load_job(spec: str, base: Path) -> Any:
    """The job function named by ``job = "file.py:function"`` or ``"module:function"``."""
    target, sep, func = spec.rpartition(":")
    if not sep or not target or not func:
        raise StudyError(f"job {spec!r} must be 'file.py:function' or 'module:function'")
    if target.endswith(".py"):
        file = (base / target).resolve()
        if not file.is_file():
            raise StudyError(f"job file {file} does not exist (from job = {spec!r})")
        name = f"neuroloom_job_{file.stem}"
        module_spec = importlib.util.spec_from_file_location(name, file)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    else:
        module = importlib.import_module(target)
    try:
        return getattr(module, func)
    except AttributeError:
        raise StudyError(f"job {spec!r}: {target} has no function {func!r}") from None


def distribution(name: str, value: Any) -> Any:
    """``[low, high]`` / ``{uniform = [low, high]}`` -> uniform; ``{choice = [...]}`` -> choice."""
    if isinstance(value, dict):
        if set(value) == {"choice"} and isinstance(value["choice"], list):
            return list(value["choice"])
        if set(value) == {"uniform"} and isinstance(value["uniform"], list) and len(value["uniform"]) == 2:
            return tuple(value["uniform"])
        raise StudyError(
            f"random: parameter {name!r}: use [low, high], {{uniform = [low, high]}} or {{choice = [...]}}"
        )
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
    ):
        return tuple(value)
    return value


def _check_names(names: Any, where: str, params: set[str] | None) -> None:
    unknown = sorted(set(names) - params) if params is not None else []
    if unknown:
        raise StudyFileError(
            f"{where} explores {unknown}, which [params] does not define (parameters: {sorted(params or ())})"
        )


def _check_ranges(kind: str, spec: Any, where: str, params: set[str] | None) -> None:
    if not isinstance(spec, dict) or not spec:
        raise StudyFileError(f"{where} {kind} = {spec!r}: give a table {{ name = [values], ... }}")
    for name, values in spec.items():
        if not isinstance(values, list) or not values:
            raise StudyFileError(f"{where} {kind}.{name} = {values!r}: give a non-empty list of values")
    if kind == "zip" and len({len(v) for v in spec.values()}) > 1:
        raise StudyFileError(
            f"{where} zip: every list needs the same length (got {[len(v) for v in spec.values()]})"
        )
    _check_names(spec, where, params)


def _check_points(spec: Any, where: str, params: set[str] | None) -> None:
    if not isinstance(spec, list) or not spec or not all(isinstance(p, dict) and p for p in spec):
        raise StudyFileError(f"{where} points = {spec!r}: give a list of tables [{{ name = value }}, ...]")
    if any(set(p) != set(spec[0]) for p in spec):
        raise StudyFileError(f"{where} points: every point needs the same names (first: {sorted(spec[0])})")
    _check_names(spec[0], where, params)


def _check_random(spec: Any, where: str, params: set[str] | None) -> None:
    if not isinstance(spec, dict):
        raise StudyFileError(f"{where} random = {spec!r}: give a table {{ n = 10, name = [low, high] }}")
    n, seed = spec.get("n"), spec.get("seed")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise StudyFileError(f"{where} random needs n = <number of points> (a positive integer), got {n!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise StudyFileError(f"{where} random seed = {seed!r}: give an integer")
    dists = {k: v for k, v in spec.items() if k not in ("n", "seed")}
    if not dists:
        raise StudyFileError(f"{where} random names no parameter to draw")
    for name, value in dists.items():
        try:
            drawn = distribution(name, value)
        except StudyError as exc:
            raise StudyFileError(f"{where} {exc}") from None
        numbers = isinstance(drawn, tuple) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in drawn
        )
        if not (numbers and drawn[0] < drawn[1]) and not (isinstance(drawn, list) and drawn):
            raise StudyFileError(
                f"{where} random.{name} = {value!r}: use [low, high] (low < high), {{uniform = [low, high]}} "
                "or {choice = [...]} (non-empty)"
            )
    _check_names(dists, where, params)


def check_design(entry: Any, where: str, params: set[str] | None = None) -> dict[str, Any]:
    """One ``[[explore]]`` entry checked (``where`` names file and entry); raises StudyFileError."""
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in EXPLORATIONS:
        raise StudyFileError(f"{where} needs exactly one of {list(EXPLORATIONS)}, got {entry!r}")
    ((kind, spec),) = entry.items()
    if kind in ("grid", "zip"):
        _check_ranges(kind, spec, where, params)
    elif kind == "points":
        _check_points(spec, where, params)
    else:
        _check_random(spec, where, params)
    return dict(entry)


def design(entry: dict[str, Any]) -> Any:
    """The exploration design of one ``[[explore]]`` entry."""
    from neuroloom.params import explore

    if not isinstance(entry, dict) or len(entry) != 1:
        raise StudyError(f"each [[explore]] entry needs exactly one of grid, zip, points, random: {entry!r}")
    ((kind, spec),) = entry.items()
    if kind == "grid":
        return explore.grid(**spec)
    if kind == "zip":
        return explore.zip_(**spec)
    if kind == "points":
        return explore.points(spec)
    if kind == "random":
        spec = dict(spec)
        n, seed = spec.pop("n"), spec.pop("seed", None)
        dists = {k: distribution(k, v) for k, v in spec.items()}
        return explore.random(n, seed, **dists)
    raise StudyError(f"unknown exploration {kind!r}; use grid, zip, points or random")


def study_dir(path: str, root: str | Path | None = None) -> Path:
    """The study directory of a study file (``[study] path`` relative to ``root``, default the
    current directory), or ``path`` itself if it is a directory."""
    given = Path(path)
    if given.is_file():
        from neuroloom._io.config import read_config

        config = read_config(given)
        study = config.get("study", {}) if isinstance(config, dict) else {}
        base = Path.cwd() if root is None else Path(root)
        return (
            base / str(study.get("path", given.stem) if isinstance(study, dict) else given.stem)
        ).resolve()
    return given
