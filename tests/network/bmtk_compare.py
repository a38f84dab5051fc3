"""Run one bmtk-style build script with bmtk and with neuroloom (only its imports switched); summarise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

SCRIPTS = Path(__file__).parent / "bmtk_scripts"
SRC = Path(__file__).resolve().parents[2] / "src"


def switch_imports(text: str) -> str:
    """The script with ``bmtk.builder`` imports pointing at ``neuroloom.network`` (nothing else changes)."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith(("from bmtk.builder", "import bmtk.builder")):
            line = line.replace("bmtk.builder", "neuroloom.network")
        lines.append(line)
    return "\n".join(lines) + "\n"


def run_script(script: Path, tool: str, folder: Path) -> Path:
    """Run ``script`` in ``folder`` with ``tool`` ("bmtk" or "neuroloom"); return the network folder."""
    folder.mkdir(parents=True, exist_ok=True)
    text = script.read_text()
    target = folder / script.name
    target.write_text(switch_imports(text) if tool == "neuroloom" else text)
    env = dict(os.environ, PYTHONPATH=str(SRC), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, target.name], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise AssertionError(f"{script.name} with {tool} failed:\n{proc.stderr[-3000:]}")
    return folder / "network"


def _types(path: Path, id_column: str) -> dict[int, dict[str, str]]:
    table = pd.read_csv(path, sep=" ", dtype=str, keep_default_na=False)
    out = {}
    for row in table.to_dict("records"):
        key = int(row.pop(id_column))
        row.pop(
            "__class__", None
        )  # bmtk's BioNetBuilder/PointNetBuilder/PopNetBuilder write their class name
        # spaces and quotes inside list values differ between writers, not the values; a property set to
        # None is written "" by bmtk and NULL by neuroloom (both read as missing, by bmtk's reader too)
        out[key] = {k: v.replace(" ", "").replace('"', "").replace("'", "") or "NULL" for k, v in row.items()}
    return out


def _group_names(group: h5py.Group) -> set[str]:
    names = set()
    for name, item in group.items():
        if name == "positions" and isinstance(item, h5py.Dataset) and item.ndim == 2:
            names.update("xyz")
        elif not name.startswith("@"):
            names.add(name)
    return names


def summarise(network: Path) -> dict[str, Any]:
    """Populations, node counts, types tables, group property names and synapse counts of a folder."""
    out: dict[str, Any] = {"nodes": {}, "edges": {}}
    for path in sorted(network.glob("*_nodes.h5")):
        with h5py.File(path) as fh:
            for pop, grp in fh["nodes"].items():
                names = set().union(*(_group_names(g) for k, g in grp.items() if k.isdigit()))
                out["nodes"][pop] = {
                    "count": int(grp["node_type_id"].shape[0]),
                    "type_counts": dict(zip(*np.unique(grp["node_type_id"][()], return_counts=True))),
                    "properties": names,
                    "types": _types(
                        path.with_name(path.name.replace("_nodes.h5", "_node_types.csv")), "node_type_id"
                    ),
                }
    for path in sorted(network.glob("*_edges.h5")):
        with h5py.File(path) as fh:
            for pop, grp in fh["edges"].items():
                rows = int(grp["edge_type_id"].shape[0])
                group_id = grp["edge_group_id"][()] if "edge_group_id" in grp else np.zeros(rows, int)
                group_index = grp["edge_group_index"][()] if "edge_group_index" in grp else np.arange(rows)
                nsyns = np.ones(rows, dtype=np.int64)  # rows without nsyns are one synapse each
                names: set[str] = set()
                for key, sub in grp.items():
                    if key.isdigit():
                        names.update(n for n in sub if not n.startswith("@"))
                        mine = group_id == int(key)
                        if "nsyns" in sub:
                            nsyns[mine] = sub["nsyns"][()][group_index[mine]]
                types = grp["edge_type_id"][()]
                out["edges"][pop] = {
                    "rows": rows,
                    "synapses": int(nsyns.sum()),
                    "synapses_per_type": {int(t): int(nsyns[types == t].sum()) for t in np.unique(types)},
                    "properties": names,
                    "source": grp["source_node_id"].attrs["node_population"],
                    "target": grp["target_node_id"].attrs["node_population"],
                    "types": _types(
                        path.with_name(path.name.replace("_edges.h5", "_edge_types.csv")), "edge_type_id"
                    ),
                }
    return out


def bmtk_reads(network: Path) -> None:
    """bmtk's own reader (``bmtk.utils.sonata``, what bionet and pointnet load) opens every file with its
    types table: all nodes as a frame, every edge of each population through its target index."""
    from bmtk.utils.sonata import File

    for path in sorted(network.glob("*_nodes.h5")):
        nodes = File(
            data_files=[str(path)], data_type_files=[str(path).replace("_nodes.h5", "_node_types.csv")]
        )
        for pop in nodes.nodes.population_names:
            assert len(nodes.nodes[pop].to_dataframe()) == nodes.nodes[pop].n_nodes
    for path in sorted(network.glob("*_edges.h5")):
        edges = File(
            data_files=[str(path)], data_type_files=[str(path).replace("_edges.h5", "_edge_types.csv")]
        )
        for pop_name in edges.edges.population_names:
            pop = edges.edges[pop_name]
            with h5py.File(path) as fh:
                grp = fh["edges"][pop_name]
                rows, targets = grp["target_node_id"].shape[0], np.unique(grp["target_node_id"][()])
            assert sum(1 for t in targets for _ in pop.get_target(int(t))) == rows, pop_name
