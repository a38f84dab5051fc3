"""``circuit_config.json``: manifest variables, ``networks.nodes`` / ``networks.edges``.

:func:`read_circuit_config` returns the config with every path made absolute
(manifest variables such as ``$BASE_DIR`` expanded, relative paths taken from
the config's folder). :func:`write_circuit_config` writes one with a
``$BASE_DIR`` manifest so the folder can be moved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import SonataFormatError

_VAR = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
PATH_KEYS = (
    "nodes_file",
    "node_types_file",
    "edges_file",
    "edge_types_file",
    "node_sets_file",
    "morphologies_dir",
    "biophysical_neuron_models_dir",
    "alternate_morphologies",
    "spatial_segment_index_dir",
    "spatial_synapse_index_dir",
)


def _expand_manifest(manifest: Mapping[str, str], base: Path, where: Path) -> dict[str, str]:
    resolved: dict[str, str] = {}
    pending = dict(manifest)
    for _ in range(len(pending) + 1):
        progress = False
        for key, value in list(pending.items()):
            names = _VAR.findall(value)
            if all(n in resolved for n in names):
                text = _VAR.sub(lambda m: resolved[m.group(0)], value)
                path = Path(text)
                resolved[key] = str(path if path.is_absolute() else (base / path).resolve())
                del pending[key]
                progress = True
        if not pending:
            return resolved
        if not progress:
            break
    raise SonataFormatError(
        f"{where}: manifest variables {sorted(pending)} cannot be resolved (cycle or unknown variable)"
    )


def _resolve(value: Any, manifest: Mapping[str, str], base: Path, where: Path, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {k: _resolve(v, manifest, base, where, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, manifest, base, where, key) for v in value]
    if isinstance(value, str) and (key in PATH_KEYS or "$" in value):

        def sub(m: re.Match[str]) -> str:
            if m.group(0) not in manifest:
                raise SonataFormatError(f"{where}: {key or 'value'} uses unknown variable {m.group(0)}")
            return manifest[m.group(0)]

        text = _VAR.sub(sub, value)
        if key in PATH_KEYS and text:
            path = Path(text)
            return str(path if path.is_absolute() else (base / path).resolve())
        return text
    return value


def read_circuit_config(path: str | Path) -> dict[str, Any]:
    """Read a circuit config; every file path in the result is absolute."""
    path = Path(path).resolve()
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise SonataFormatError(f"{path}: circuit config not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SonataFormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SonataFormatError(f"{path}: a circuit config must be a JSON object")
    base = path.parent
    # bmtk writes "${configdir}" for the config's own folder
    manifest_raw = {k: str(v).replace("${configdir}", str(base)) for k, v in raw.get("manifest", {}).items()}
    manifest = _expand_manifest(manifest_raw, base, path)
    config = {k: _resolve(v, manifest, base, path, k) for k, v in raw.items() if k != "manifest"}
    networks = config.get("networks")
    if not isinstance(networks, dict):
        raise SonataFormatError(f"{path}: missing 'networks' object")
    for kind, file_key in (("nodes", "nodes_file"), ("edges", "edges_file")):
        entries = networks.get(kind, [])
        if not isinstance(entries, list):
            raise SonataFormatError(f"{path}: networks.{kind} must be a list")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or file_key not in entry:
                raise SonataFormatError(f"{path}: networks.{kind}[{i}] has no {file_key!r}")
    config["_path"] = str(path)
    return config


def write_circuit_config(
    path: str | Path,
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]] = (),
    *,
    node_sets_file: str | None = None,
    components: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``circuit_config.json`` with a ``$BASE_DIR`` manifest.

    ``nodes``/``edges`` entries hold file names relative to the config's folder
    (``{"nodes_file": "v1_nodes.h5", "node_types_file": "v1_node_types.csv",
    "populations": {"v1": {"type": "point_neuron"}}}``).
    """
    path = Path(path)

    def rel(entry: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(entry)
        for key in PATH_KEYS:
            if key in out and out[key] and not str(out[key]).startswith("$"):
                out[key] = f"$BASE_DIR/{out[key]}"
        return out

    config: dict[str, Any] = {
        "version": 2,
        "manifest": {"$BASE_DIR": "."},
        "components": dict(components or {}),
        "networks": {"nodes": [rel(e) for e in nodes], "edges": [rel(e) for e in edges]},
    }
    if node_sets_file:
        config["node_sets_file"] = f"$BASE_DIR/{node_sets_file}"
    write_bytes(path, json.dumps(config, indent=2).encode())
    return path
