"""``circuit_config.json``: manifest variables, ``networks.nodes`` / ``networks.edges``.

:func:`read_circuit_config` returns the config with every path made absolute
(manifest variables such as ``$BASE_DIR`` expanded, relative paths taken from
the config's folder). :func:`write_circuit_config` writes one with a
``$BASE_DIR`` manifest so the folder can be moved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import SonataFormatError, UnknownPopulationError

_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")  # $name or ${name}
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
    "point_neuron_models_dir",
    "mechanisms_dir",
    "synaptic_models_dir",
    "templates_dir",
    "vasculature_file",
    "vasculature_mesh",
    "spine_morphologies_dir",
    "microdomains_file",
    "endfeet_meshes_file",
)
#: keys whose value is a mapping of names to paths (``{"h5v1": "$DIR/h5"}``)
PATH_MAP_KEYS = ("alternate_morphologies",)
#: keys of a simulation config whose values are paths taken from the config's folder
SIM_PATH_KEYS = (*PATH_KEYS, "network", "output_dir", "input_file", "spike_file", "electrodes_file")
SORT_ORDER_ALIASES = {"time": "by_time", "id": "by_id", "gid": "by_id", "by_gid": "by_id"}
DEFAULT_TYPE = {"nodes": "biophysical", "edges": "chemical"}


def _normal(path: Path, base: Path) -> str:
    """``path`` made absolute from ``base``, with ``.`` and ``..`` removed (symlinks kept)."""
    return os.path.normpath(path if path.is_absolute() else base / path)


def _expand_manifest(manifest: Mapping[str, str], base: Path, where: Path) -> dict[str, str]:
    """Manifest variables (``$NAME`` or ``${NAME}``; ``configdir`` is the config's folder),
    each expanded and made absolute from ``base``; keyed by bare name."""
    resolved: dict[str, str] = {"configdir": str(base)}
    pending = {str(k).lstrip("$").strip("{}"): str(v) for k, v in manifest.items()}
    for _ in range(len(pending) + 1):
        progress = False
        for key, value in list(pending.items()):
            names = _VAR.findall(value)
            if all(n in resolved for n in names):
                text = _VAR.sub(lambda m: resolved[m.group(1)], value)
                resolved[key] = _normal(Path(text), base)
                del pending[key]
                progress = True
        if not pending:
            return resolved
        if not progress:
            break
    raise SonataFormatError(
        f"{where}: manifest variables {sorted(pending)} cannot be resolved (cycle or unknown variable)"
    )


def _resolve(
    value: Any,
    manifest: Mapping[str, str],
    base: Path,
    where: Path,
    key: str = "",
    path_keys: tuple[str, ...] = PATH_KEYS,
) -> Any:
    if isinstance(value, Mapping):
        if key in PATH_MAP_KEYS:  # every value of the mapping is a path
            return {k: _resolve(v, manifest, base, where, "nodes_file") for k, v in value.items()}
        return {k: _resolve(v, manifest, base, where, k, path_keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, manifest, base, where, key, path_keys) for v in value]
    if isinstance(value, str) and (key in path_keys or "$" in value):

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in manifest:
                raise SonataFormatError(f"{where}: {key or 'value'} uses unknown variable {m.group(0)}")
            return manifest[m.group(1)]

        text = _VAR.sub(sub, value)
        if key in path_keys and text:
            path = Path(text)
            return _normal(path, base)
        return text
    return value


def load_config(path: Path, what: str, path_keys: tuple[str, ...]) -> dict[str, Any]:
    """Read a JSON config, expand its manifest (``$NAME``, ``${NAME}``, ``${configdir}``) and
    make the values under ``path_keys`` absolute paths from the config's folder."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SonataFormatError(f"{path}: {what} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SonataFormatError(f"{path}: {what} is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SonataFormatError(f"{path}: a {what} must be a JSON object")
    base = path.parent
    manifest = _expand_manifest(raw.get("manifest") or {}, base, path)
    return {k: _resolve(v, manifest, base, path, k, path_keys) for k, v in raw.items() if k != "manifest"}


def read_circuit_config(path: str | Path) -> dict[str, Any]:
    """Read a circuit config; every file path in the result is absolute."""
    path = Path(path).resolve()
    config = load_config(path, "circuit config", PATH_KEYS)
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


def read_simulation_config(path: str | Path) -> dict[str, Any]:
    """Read a simulation config (SONATA / bmtk); every file path in the result is absolute.

    Manifest variables are expanded; ``network``, ``node_sets_file``,
    ``output.output_dir``, input files and electrode files are taken from the
    config's folder; ``output.spikes_file`` / ``output.log_file`` and each
    report's ``file_name`` (default ``<report name>.h5``) from ``output_dir``,
    as libsonata resolves them. ``spikes_sort_order`` is one of ``none``,
    ``by_id``, ``by_time`` (bmtk's ``time`` / ``id`` are translated).
    """
    path = Path(path).resolve()
    config = load_config(path, "simulation config", SIM_PATH_KEYS)
    output = config.setdefault("output", {})
    if not isinstance(output, dict):
        raise SonataFormatError(f"{path}: 'output' must be an object")
    out_dir = Path(output.get("output_dir") or _normal(Path("output"), path.parent))
    output["output_dir"] = str(out_dir)
    for key in ("spikes_file", "log_file"):
        if output.get(key):
            output[key] = _normal(Path(output[key]), out_dir)
    order = output.get("spikes_sort_order")
    if order is not None:
        output["spikes_sort_order"] = SORT_ORDER_ALIASES.get(str(order), str(order))
    for name, report in (config.get("reports") or {}).items():
        if not isinstance(report, dict):
            raise SonataFormatError(f"{path}: reports.{name} must be an object")
        file_name = str(report.get("file_name") or name)
        if not file_name.endswith(".h5"):
            file_name += ".h5"
        report["file_name"] = _normal(Path(file_name), out_dir)
    config["_path"] = str(path)
    return config


def population_properties(config: Mapping[str, Any], kind: str, name: str) -> dict[str, Any]:
    """Properties of one population as a SONATA reader applies them.

    ``components`` give the defaults, the ``networks`` entry that lists the file
    overrides them and the entry's ``populations[name]`` overrides both (the
    spec's precedence, as libsonata's ``node_population_properties`` /
    ``edge_population_properties``). ``elements_path`` is the HDF5 file,
    ``types_path`` the types CSV (``""`` when none) and ``type`` defaults to
    ``biophysical`` (nodes) or ``chemical`` (edges).

    Parameters
    ----------
    config
        A config from :func:`read_circuit_config` (paths already absolute).
    kind
        ``"nodes"`` or ``"edges"``.
    name
        The population.
    """
    file_key, types_key = f"{kind}_file", f"{kind[:-1]}_types_file"
    for entry in config["networks"].get(kind, []):
        pops = entry.get("populations") or {}
        if name not in pops and (pops or not _file_holds(entry[file_key], kind, name)):
            continue
        props: dict[str, Any] = {"type": DEFAULT_TYPE[kind]}
        props.update({k: v for k, v in (config.get("components") or {}).items()})
        props.update({k: v for k, v in entry.items() if k not in (file_key, types_key, "populations")})
        props.update(dict(pops.get(name) or {}))
        props["elements_path"] = entry[file_key]
        props["types_path"] = entry.get(types_key) or ""
        return props
    raise UnknownPopulationError(f"{config.get('_path')}: no {kind[:-1]} population {name!r}")


def _file_holds(path: str, kind: str, name: str) -> bool:
    """Whether the HDF5 file ``path`` has ``/<kind>/<name>`` (an entry without ``populations``)."""
    try:
        with h5py.File(path, "r") as fh:
            return f"{kind}/{name}" in fh
    except OSError:
        return False


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
