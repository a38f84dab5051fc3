"""Discover every SONATA file of the public corpus (``../shared/corpus``) by walking it.

Each HDF5 file is classified by its root group (``/nodes``, ``/edges``, ``/spikes``,
``/report``); each JSON file by its content (``networks`` -> circuit config,
``run`` -> simulation config, ``node_sets*.json`` -> node sets, ``{"network",
"simulation"}`` -> bmtk's top-level config, anything else -> a component such as
a ``dynamics_params`` file). A missing corpus gives one ``MISSING`` entry per kind
so that every test FAILS (never skips) with a clear message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: ../shared/corpus from the project root (NEUROLOOM_CORPUS overrides it: check a missing corpus fails)
CORPUS = Path(os.environ.get("NEUROLOOM_CORPUS", ROOT / ".." / "shared" / "corpus")).resolve()
DATASETS = ("sonata-examples", "libsonata-data")
KINDS = (
    "nodes",
    "edges",
    "spikes",
    "report",
    "circuit_config",
    "simulation_config",
    "node_sets",
    "config_index",
    "component",
    "other_h5",
)
MISSING = "<corpus missing>"


def require(path: str | Path) -> Path:
    """The file itself, or a test failure explaining that the corpus is missing."""
    if str(path) == MISSING or not CORPUS.is_dir():
        pytest.fail(
            f"the conformance corpus is missing: expected {CORPUS} with {', '.join(DATASETS)} "
            "(see ../shared/corpus/README.md); these tests must not be skipped"
        )
    return Path(path)


def _h5_kind(path: Path) -> str:
    with h5py.File(path, "r") as fh:
        for kind in ("nodes", "edges", "spikes", "report"):
            if kind in fh:
                return kind
    return "other_h5"


def _json_kind(path: Path) -> str:
    data = json.loads(path.read_text())
    if path.name.startswith("node_sets"):
        return "node_sets"
    if isinstance(data, dict):
        if "networks" in data:
            return "circuit_config"
        if "run" in data:
            return "simulation_config"
        if set(data) <= {"network", "simulation"} and data:
            return "config_index"
    return "component"


def discover() -> dict[str, list[str]]:
    """``{kind: [relative path, ...]}`` of every .h5 and .json file in the corpus."""
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    if not all((CORPUS / d).is_dir() for d in DATASETS):
        return {kind: [MISSING] for kind in KINDS}
    for dataset in DATASETS:
        for path in sorted((CORPUS / dataset).rglob("*")):
            if path.suffix == ".h5":
                out[_h5_kind(path)].append(str(path.relative_to(CORPUS)))
            elif path.suffix == ".json":
                out[_json_kind(path)].append(str(path.relative_to(CORPUS)))
    return out


FILES = discover()


def files(kind: str) -> list[str]:
    """The corpus files of one kind (relative to the corpus root), for parametrize."""
    return FILES[kind] or [MISSING]


def path_of(rel: str) -> Path:
    return require(rel if rel == MISSING else CORPUS / rel)
