"""Reading a study's files for the views: its network's nodes and its runs' recorded signals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom._io.names import NETWORK_DIR
from neuroloom.sonata.reports import read_frame_report
from neuroloom.study.batches import read_batch_signal
from neuroloom.study.recordings import report_file
from neuroloom.study.run import run_folder


def network_nodes(study_path: Path) -> Mapping[str, Any]:
    """``{population: NodePopulation}`` of the network stored under ``<study>/network/`` ({} if none)."""
    folder = study_path / NETWORK_DIR
    if not folder.is_dir():
        return {}
    config = folder / "circuit_config.json"
    if config.is_file():
        from neuroloom.sonata.circuit import Circuit

        return Circuit(config).nodes  # type: ignore[no-any-return]
    from neuroloom.sonata.nodes import open_nodes

    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*nodes*.h5")):
        types = path.with_name(path.name.replace(".h5", "_types.csv").replace("nodes_types", "node_types"))
        storage = open_nodes(path, types if types.is_file() else None)
        out.update({name: storage[name] for name in storage})
    return out


def read_signals(
    study_path: Path,
    runs: Sequence[int],
    population: str,
    variable: str,
    node_ids: Sequence[int] | np.ndarray | None = None,
    batches: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """Traces from the runs' frame reports (or their run batches).

    Rows ``(run, node_id)``, columns time in ms.
    """
    frames = []
    unit = ""
    for idx in runs:
        batch = (batches or {}).get(idx)
        if batch is not None:
            ids, data, t0, dt, unit = read_batch_signal(study_path, batch, idx, variable, population)
            keep = np.isin(ids, np.asarray(node_ids, np.int64)) if node_ids is not None else slice(None)
            ids, data = ids[keep], np.asarray(data, np.float64)[:, keep]
            times = t0 + dt * np.arange(data.shape[0])
        else:
            rep = read_frame_report(run_folder(study_path, idx) / report_file(variable), population, node_ids)
            unit = rep.units
            ids, data, times = rep.node_ids, np.asarray(rep.data, dtype=np.float64), rep.time_points
        index = pd.MultiIndex.from_arrays(
            [np.full(ids.size, idx, np.int64), ids.astype(np.int64)], names=["run", "node_id"]
        )
        frames.append(pd.DataFrame(data.T, index=index, columns=pd.Index(times, name="time")))
    out = pd.concat(frames) if frames else pd.DataFrame()
    out.attrs["unit"] = unit
    out.attrs["variable"] = variable
    out.attrs["population"] = population
    return out
