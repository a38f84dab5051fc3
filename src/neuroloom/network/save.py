"""Write built nodes and edges into an output folder (SONATA, bmtk's layout).

Nodes: ``<name>_nodes.h5`` and ``<name>_node_types.csv``. A property shared
by every node of one ``add_nodes`` call goes in the types table; per-node
values go in group "0" (one group: libsonata opens no other layout; see
:func:`node_groups`). Edges: ``<src>_<trg>_edges.h5`` and
``<src>_<trg>_edge_types.csv`` (see :mod:`neuroloom.network.generate`).

A save writes every file in a temporary folder inside ``output_dir`` and
renames them into place at the end (``circuit_config.json`` last): a failed
save leaves no file that looks complete. ``circuit_config.json`` lists every
file saved in the folder (entries of earlier saves, e.g. another network, are kept).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import NetworkBuildError, SonataFormatError
from neuroloom.network.generate import BuiltEdges
from neuroloom.network.nodes import POSITION_NAMES, NodeSet, csv_text, types_table
from neuroloom.sonata.config import write_circuit_config
from neuroloom.sonata.edges import EdgePopulation
from neuroloom.sonata.index import link_bmtk_name
from neuroloom.sonata.nodes_write import write_node_groups
from neuroloom.sonata.types_csv import write_types

CONFIG_NAME = "circuit_config.json"
NODE_SETS_NAME = "node_sets.json"


def _check(path: Path, force_overwrite: bool) -> None:
    if path.exists() and not force_overwrite:
        raise NetworkBuildError(f"{path} exists; pass force_overwrite=True to replace it")


def _population_type(sets: Sequence[NodeSet]) -> str:
    kinds = {str(s.type_props.get("model_type")) for s in sets}
    if kinds == {"virtual"}:
        return "virtual"
    if kinds == {"biophysical"}:
        return "biophysical"
    return "point_neuron"


def _file_columns(s: NodeSet) -> dict[str, np.ndarray]:
    """A set's per-node columns as written (``positions`` (N, 3) as ``x``, ``y``, ``z``)."""
    out: dict[str, np.ndarray] = {}
    for key, arr in s.params.items():
        if key in POSITION_NAMES and arr.ndim == 2 and arr.shape[1] == 3:
            for i, axis in enumerate("xyz"):
                out[axis] = arr[:, i].astype(np.float64)
        elif arr.dtype.kind == "b":
            out[key] = arr.astype(np.int8)
        else:
            out[key] = arr
    return out


def _missing(name: str, like: list[np.ndarray], n: int) -> np.ndarray:
    """Values for ``n`` nodes that lack ``name``: NaN (ints become floats), "" or empty dicts."""
    if name == "dynamics_params":
        return np.asarray([{} for _ in range(n)] + [None], dtype=object)[:n]
    typed = [p for p in like if not _all_missing(p)]
    if not typed:
        return np.asarray([None] * n, dtype=object)
    first = typed[0]
    if first.dtype.kind in "OUS":
        return np.full(n, "", dtype=object)
    return np.full((n, *first.shape[1:]), np.nan)


def _column_for(s: NodeSet, cols: dict[str, np.ndarray], name: str, given: list[np.ndarray]) -> np.ndarray:
    """One set's values of per-node column ``name``: its own, its shared value repeated, or missing."""
    if name in cols:
        return cols[name]
    if name in s.type_props and name != "dynamics_params":  # a shared file name is no per-node parameter
        value = s.type_props[name]
        if isinstance(value, (tuple, list, dict)):
            raise NetworkBuildError(
                f"add_nodes: property {name!r} is per node in one call and {value!r} in another; "
                "give it the same kind of value in every call"
            )
        return np.full(s.n, value, dtype=object if isinstance(value, str) else None)
    return _missing(name, given, s.n)


def _all_missing(part: np.ndarray) -> bool:
    return part.dtype.kind == "O" and all(v is None for v in part.tolist())


def _concat_checked(name: str, parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate one column's parts: strings or numbers; all-missing parts take the others' type."""
    if name == "dynamics_params":
        return np.concatenate(parts) if len(parts) > 1 else parts[0]
    known = [p for p in parts if not _all_missing(p)]
    is_text = {p.dtype.kind in "OUS" for p in known}
    if len(is_text) > 1:
        raise NetworkBuildError(
            f"add_nodes: property {name!r} has strings in one call and numbers in another; "
            "give one type per property"
        )
    text = bool(is_text) and is_text.pop()
    fixed = [
        (np.full(p.size, "", dtype=object) if text else np.full(p.size, np.nan)) if _all_missing(p) else p
        for p in parts
    ]
    return np.concatenate(fixed) if len(fixed) > 1 else fixed[0]


def node_groups(sets: Sequence[NodeSet]) -> tuple[np.ndarray, np.ndarray, list[dict[str, np.ndarray]]]:
    """Node type ids, group ids and the columns of group "0" (libsonata reads one group only).

    Group "0" holds every name that is per node in some ``add_nodes`` call; a
    call that shares one value repeats it there, a call without the name gets
    NaN (or "" for strings).
    """
    columns = [_file_columns(s) for s in sets]
    per_node: dict[str, list[np.ndarray]] = {}
    for cols in columns:
        for name, values in cols.items():
            per_node.setdefault(name, []).append(values)
    merged: dict[str, np.ndarray] = {}
    for name, given in per_node.items():
        parts = [_column_for(s, cols, name, given) for s, cols in zip(sets, columns)]
        merged[name] = _concat_checked(name, parts)
    type_ids = np.concatenate([np.full(s.n, s.node_type_id, dtype=np.int64) for s in sets])
    return type_ids, np.zeros(type_ids.size, dtype=np.int64), [merged]


def node_types_frame(sets: Sequence[NodeSet]) -> pd.DataFrame:
    rows = []
    for s in sets:
        row: dict[str, Any] = {"node_type_id": s.node_type_id}
        for key, value in s.type_props.items():
            row[key] = csv_text(value)
        rows.append(row)
    return types_table(rows)


def save_nodes(
    name: str,
    sets: Sequence[NodeSet],
    output_dir: Path,
    nodes_file_name: str | None = None,
    node_types_file_name: str | None = None,
    force_overwrite: bool = True,
    compression: str | None = None,
) -> tuple[Path, Path]:
    """Write ``<name>_nodes.h5`` and ``<name>_node_types.csv`` (each atomically)."""
    if not sets:
        raise NetworkBuildError(f"network {name!r} has no nodes: call add_nodes before saving")
    output_dir.mkdir(parents=True, exist_ok=True)
    nodes_path = output_dir / (nodes_file_name or f"{name}_nodes.h5")
    types_path = output_dir / (node_types_file_name or f"{name}_node_types.csv")
    _check(nodes_path, force_overwrite)
    type_ids, group_ids, groups = node_groups(sets)
    write_node_groups(nodes_path, name, type_ids, group_ids, groups, compression=compression)
    write_types(types_path, node_types_frame(sets), "node_type_id")
    return nodes_path, types_path


def _publish(src: Path, dst: Path) -> None:
    tmp = dst.with_name(tmp_name(dst.suffix))
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    tmp.replace(dst)


def save_edges(
    built: BuiltEdges,
    output_dir: Path,
    edges_file_name: str | None = None,
    edge_types_file_name: str | None = None,
    src_network: str | None = None,
    trg_network: str | None = None,
    force_overwrite: bool = True,
    compression: str | None = None,
) -> list[tuple[Path, Path, str]]:
    """Publish the built edge files (linked when on the same file system) and their types tables."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (s, t), info in built.files.items():
        if (src_network and s != src_network) or (trg_network and t != trg_network):
            continue
        edges_path = output_dir / (edges_file_name or f"{s}_{t}_edges.h5")
        types_path = output_dir / (edge_types_file_name or f"{s}_{t}_edge_types.csv")
        _check(edges_path, force_overwrite)
        if compression:
            _recompress(info.path, edges_path, compression)
        else:
            _publish(info.path, edges_path)
        write_types(types_path, info.types, "edge_type_id")
        written.append((edges_path, types_path, info.population))
    return written


def _recompress(src: Path, dst: Path, compression: str) -> None:
    import h5py

    tmp = dst.with_name(tmp_name(".h5"))
    with h5py.File(src, "r") as fin, h5py.File(tmp, "w") as fout:
        for key, value in fin.attrs.items():
            fout.attrs[key] = value

        def copy(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset):
                ds = fout.create_dataset(name, data=obj[()], compression=compression)
                for k, v in obj.attrs.items():
                    ds.attrs[k] = v
            else:
                fout.require_group(name)

        fin.visititems(copy)  # visits a dataset once, under one of its names
        for pop in fout.get("edges", {}).values():
            for direction in pop.get("indices", {}).values():
                link_bmtk_name(direction)
    tmp.replace(dst)


def save_network(
    name: str,
    sets: Sequence[NodeSet],
    built: BuiltEdges,
    output_dir: Path,
    *,
    force_overwrite: bool = True,
    compression: str | None = None,
    config: bool = True,
) -> bool:
    """Save nodes, edges and the config through a temporary folder; True if edge files were moved.

    When the edge files were moved (no recompression), ``built`` is updated to
    point at the saved files.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    for path in [
        output_dir / f"{name}_nodes.h5",
        *(output_dir / f"{s}_{t}_edges.h5" for s, t in built.files),
    ]:
        _check(path, force_overwrite)
    stage = Path(tempfile.mkdtemp(prefix=".neuroloom-save-", dir=output_dir))
    try:
        nodes_path, node_types = save_nodes(name, sets, stage, None, None, True, compression)
        edges = save_edges(built, stage, force_overwrite=True, compression=compression)
        final_edges = []
        for epath, etypes, population in edges:  # edges first, nodes next, the config last
            epath.replace(output_dir / epath.name)
            etypes.replace(output_dir / etypes.name)
            final_edges.append((output_dir / epath.name, output_dir / etypes.name, population))
        nodes_path.replace(output_dir / nodes_path.name)
        node_types.replace(output_dir / node_types.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if not compression:  # the saved files are the built ones: read them from now on
        for (s, t), info in built.files.items():
            info.path = output_dir / f"{s}_{t}_edges.h5"
    if config:
        update_config(
            output_dir,
            name,
            _population_type(sets),
            output_dir / nodes_path.name,
            output_dir / node_types.name,
            final_edges,
        )
    return not compression


def update_config(
    output_dir: Path,
    name: str,
    population_type: str,
    nodes_path: Path,
    node_types: Path,
    edges: list[tuple[Path, Path, str]],
) -> Path:
    """Add this network's files to ``circuit_config.json`` in ``output_dir`` (keeping other entries)."""
    path = output_dir / CONFIG_NAME
    node_entries: list[dict[str, Any]] = []
    edge_entries: list[dict[str, Any]] = []
    kept: dict[str, Any] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            node_entries = list(old.get("networks", {}).get("nodes", []))
            edge_entries = list(old.get("networks", {}).get("edges", []))
            kept = _kept_settings(old)
        except (json.JSONDecodeError, AttributeError):
            raise SonataFormatError(f"{path}: existing circuit config is not valid JSON; remove it") from None

    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.replace("$BASE_DIR/", "") if isinstance(v, str) else v) for k, v in entry.items()}

    node_entries = [strip(e) for e in node_entries if strip(e).get("nodes_file") != nodes_path.name]
    node_entries.append(
        {
            "nodes_file": nodes_path.name,
            "node_types_file": node_types.name,
            "populations": {name: {"type": population_type}},
        }
    )
    names = {e[0].name for e in edges}
    edge_entries = [strip(e) for e in edge_entries if strip(e).get("edges_file") not in names]
    for epath, etypes, population in edges:
        edge_entries.append(
            {
                "edges_file": epath.name,
                "edge_types_file": etypes.name,
                "populations": {population: {"type": "chemical"}},
            }
        )
    return write_circuit_config(path, node_entries, edge_entries, **kept)


def _kept_settings(old: dict[str, Any]) -> dict[str, Any]:
    """``components`` and ``node_sets_file`` of an existing config (a later save keeps them)."""
    kept: dict[str, Any] = {}
    if old.get("components"):
        kept["components"] = old["components"]
    node_sets = old.get("node_sets_file")
    if isinstance(node_sets, str) and node_sets:
        kept["node_sets_file"] = node_sets.replace("$BASE_DIR/", "")
    return kept


def save_node_sets(output_dir: Path, node_sets: Mapping[str, Any]) -> Path:
    """Add ``node_sets`` to ``node_sets.json`` in ``output_dir`` (same names replaced, others kept)
    and reference the file from ``circuit_config.json`` there.

    Raises
    ------
    NetworkBuildError
        If a node set is not a SONATA rule (an object, or a list of node set names).
    """
    from neuroloom.sonata.node_sets import read_node_sets, write_node_sets

    for name, rule in node_sets.items():
        if not isinstance(name, str) or not name or not isinstance(rule, (dict, list)):
            raise NetworkBuildError(
                f"node set {name!r}: give a name and a SONATA rule, an object such as "
                '{"population": "v1", "ei": "i"} or a list of other node set names (compound)'
            )
    path = output_dir / NODE_SETS_NAME
    merged = {**(read_node_sets(path) if path.is_file() else {}), **node_sets}
    write_node_sets(path, merged)
    config = output_dir / CONFIG_NAME
    if not config.is_file():
        raise NetworkBuildError(
            f"{output_dir}: no {CONFIG_NAME} to reference {NODE_SETS_NAME} from; save first"
        )
    old = json.loads(config.read_text())
    networks = old.get("networks", {})
    return write_circuit_config(
        config,
        networks.get("nodes", []),
        networks.get("edges", []),
        components=old.get("components") or None,
        node_sets_file=NODE_SETS_NAME,
    )


def built_edges(
    built: BuiltEdges,
    target_ids: np.ndarray | None,
    source_ids: np.ndarray | None,
    target_network: str | None,
    source_network: str | None,
    properties: dict[str, Any],
) -> pd.DataFrame:
    """Read the built edges back (for ``Network.edges()``), filtered by ids, networks and properties."""
    frames = []
    known = {"source_node_id", "target_node_id", "edge_type_id", "source_network", "target_network"}
    for (s, t), info in built.files.items():
        pop = EdgePopulation(info.path, info.population, None)
        try:
            known.update(pop.property_names)
            if (source_network and s != source_network) or (target_network and t != target_network):
                continue
            frame = pop.get(pop.pathway_edges(source_ids, target_ids))
        finally:
            pop.close()
        types = info.types.set_index("edge_type_id").infer_objects()
        known.update(types.columns)
        for col in types.columns:
            if col not in frame.columns:
                frame[col] = types[col].reindex(frame["edge_type_id"]).to_numpy()
        known.update(frame.columns)
        frame.insert(0, "target_network", t)
        frame.insert(0, "source_network", s)
        for key, wanted in properties.items():
            frame = frame[np.asarray(frame[key] == wanted)] if key in frame.columns else frame.iloc[0:0]
        frames.append(frame)
    unknown = sorted(set(properties) - known)
    if unknown:
        raise NetworkBuildError(f"edges(): no edge has the property {unknown} (properties: {sorted(known)})")
    return pd.concat(frames) if frames else pd.DataFrame()
