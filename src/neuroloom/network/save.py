"""Write a built :class:`~neuroloom.network.builder.Network` into an output folder.

Nodes: ``<name>_nodes.h5`` (every property in group ``"0"``, strings as
``@library`` enumerations) and ``<name>_node_types.csv`` (the shared scalars).
Edges: ``<src>_<trg>_edges.h5`` and ``<src>_<trg>_edge_types.csv``.
``circuit_config.json`` in the folder lists every file saved there (entries of
earlier saves, e.g. another network, are kept).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import NetworkBuildError, SonataFormatError
from neuroloom.sonata.config import write_circuit_config
from neuroloom.sonata.edges import EdgePopulation
from neuroloom.sonata.nodes import write_nodes
from neuroloom.sonata.types_csv import write_types

if TYPE_CHECKING:
    from neuroloom.network.builder import Network

CONFIG_NAME = "circuit_config.json"


def _check(path: Path, force_overwrite: bool) -> None:
    if path.exists() and not force_overwrite:
        raise NetworkBuildError(f"{path} exists; pass force_overwrite=True to replace it")


def _population_type(table: pd.DataFrame) -> str:
    if "model_type" in table.columns:
        kinds = set(table["model_type"].dropna().astype(str))
        if kinds == {"virtual"}:
            return "virtual"
        if kinds == {"biophysical"}:
            return "biophysical"
    return "point_neuron"


def save_nodes(
    network: Network,
    output_dir: Path,
    nodes_file_name: str | None = None,
    node_types_file_name: str | None = None,
    force_overwrite: bool = True,
    compression: str | None = None,
) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    nodes_path = output_dir / (nodes_file_name or f"{network.name}_nodes.h5")
    types_path = output_dir / (node_types_file_name or f"{network.name}_node_types.csv")
    _check(nodes_path, force_overwrite)
    table = network.node_table
    props: dict[str, Any] = {"N": network.nnodes, "node_type_id": table["node_type_id"].to_numpy()}
    for col in table.columns:
        if col == "node_type_id":
            continue
        values = table[col]
        if (
            values.dtype.kind in "O"
            or isinstance(values.dtype, pd.CategoricalDtype)
            or values.dtype == "string"
        ):
            props[col] = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
        elif values.dtype.kind == "b":
            props[col] = values.to_numpy().astype(np.int8)
        else:
            props[col] = values.to_numpy()
    write_nodes(nodes_path, {network.name: props}, enumerate_strings="auto", compression=compression)
    write_types(types_path, network.node_types, "node_type_id")
    return nodes_path, types_path


def _publish(src: Path, dst: Path) -> None:
    tmp = dst.with_name(tmp_name(dst.suffix))
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    tmp.replace(dst)


def save_edges(
    network: Network,
    output_dir: Path,
    edges_file_name: str | None = None,
    edge_types_file_name: str | None = None,
    src_network: str | None = None,
    trg_network: str | None = None,
    name: str | None = None,
    force_overwrite: bool = True,
    compression: str | None = None,
) -> list[tuple[Path, Path, str]]:
    if network._built is None:
        network.build()
    assert network._built is not None
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (s, t), info in network._built["files"].items():
        if (src_network and s != src_network) or (trg_network and t != trg_network):
            continue
        edges_path = output_dir / (edges_file_name or f"{s}_{t}_edges.h5")
        types_path = output_dir / (edge_types_file_name or f"{s}_{t}_edge_types.csv")
        _check(edges_path, force_overwrite)
        if compression:
            _recompress(info["path"], edges_path, compression)
        else:
            _publish(info["path"], edges_path)
        write_types(types_path, info["types"], "edge_type_id")
        written.append((edges_path, types_path, info["population"]))
    del name
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

        fin.visititems(copy)
    tmp.replace(dst)


def save_network(
    network: Network,
    output_dir: Path,
    *,
    force_overwrite: bool = True,
    compression: str | None = None,
    config: bool = True,
) -> None:
    if network._built is None:
        network.build(work_dir=output_dir)  # same file system: the edge files are linked, not copied
    nodes_path, node_types = save_nodes(network, output_dir, None, None, force_overwrite, compression)
    edges = save_edges(network, output_dir, force_overwrite=force_overwrite, compression=compression)
    assert network._built is not None
    if not compression:  # the saved files are the built ones: read them from now on, drop the work folder
        for (s, t), info in network._built["files"].items():
            info["path"] = output_dir / f"{s}_{t}_edges.h5"
        if network._work is not None:
            shutil.rmtree(network._work, ignore_errors=True)
            network._work = None
    if config:
        update_config(output_dir, network, nodes_path, node_types, edges)


def update_config(
    output_dir: Path,
    network: Network,
    nodes_path: Path,
    node_types: Path,
    edges: list[tuple[Path, Path, str]],
) -> Path:
    """Add this network's files to ``circuit_config.json`` in ``output_dir`` (keeping other entries)."""
    path = output_dir / CONFIG_NAME
    node_entries: list[dict[str, Any]] = []
    edge_entries: list[dict[str, Any]] = []
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            node_entries = list(old.get("networks", {}).get("nodes", []))
            edge_entries = list(old.get("networks", {}).get("edges", []))
        except (json.JSONDecodeError, AttributeError):
            raise SonataFormatError(f"{path}: existing circuit config is not valid JSON; remove it") from None

    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.replace("$BASE_DIR/", "") if isinstance(v, str) else v) for k, v in entry.items()}

    node_entries = [strip(e) for e in node_entries if strip(e).get("nodes_file") != nodes_path.name]
    node_entries.append(
        {
            "nodes_file": nodes_path.name,
            "node_types_file": node_types.name,
            "populations": {network.name: {"type": _population_type(network.node_table)}},
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
    return write_circuit_config(path, node_entries, edge_entries)


def built_edges(
    network: Network,
    target_nodes: Any,
    source_nodes: Any,
    target_network: str | None,
    source_network: str | None,
    properties: dict[str, Any],
) -> pd.DataFrame:
    """Read the built edges back (for ``Network.edges()``), filtered."""
    from neuroloom.network.builder import NodePool

    assert network._built is not None
    frames = []
    for (s, t), info in network._built["files"].items():
        if (source_network and s != source_network) or (target_network and t != target_network):
            continue
        pop = EdgePopulation(info["path"], info["population"], None)
        try:
            trg_ids = _ids(target_nodes)
            src_ids = _ids(source_nodes)
            sel = pop.pathway_edges(src_ids, trg_ids)
            frame = pop.get(sel)
        finally:
            pop.close()
        types = info["types"].set_index("edge_type_id")
        for col in types.columns:
            if col not in frame.columns:
                frame[col] = types[col].reindex(frame["edge_type_id"]).to_numpy()
        frame.insert(0, "target_network", t)
        frame.insert(0, "source_network", s)
        for key, wanted in properties.items():
            frame = frame[np.asarray(frame[key] == wanted)] if key in frame.columns else frame.iloc[0:0]
        frames.append(frame)
    del NodePool
    return pd.concat(frames) if frames else pd.DataFrame()


def _ids(selection: Any) -> Any:
    from neuroloom.network.builder import NodePool

    if selection is None:
        return None
    if isinstance(selection, NodePool):
        return selection.node_ids
    return np.atleast_1d(np.asarray(selection, dtype=np.int64))
