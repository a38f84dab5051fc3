"""Read a configuration file: TOML, YAML or JSON by its suffix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuroloom.errors import ParameterError

__all__ = ["read_config"]


def read_config(path: Path) -> Any:
    """Read a TOML (.toml), YAML (.yaml/.yml) or JSON (.json) file."""
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParameterError(f"cannot read parameter file {path}: {exc.strerror or exc}") from None
    try:
        if suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # pragma: no cover - Python 3.10
                import tomli as tomllib  # type: ignore[import-not-found,no-redef]
            return tomllib.loads(raw.decode("utf-8"))
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(raw)
        if suffix == ".json":
            return json.loads(raw)
    except Exception as exc:
        raise ParameterError(f"cannot parse parameter file {path}: {exc}") from None
    raise ParameterError(f"parameter file {path}: unknown format {suffix!r}; use .toml, .yaml, .yml or .json")
