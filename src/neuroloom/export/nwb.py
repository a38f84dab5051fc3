"""A view's recordings as an NWB file (pynwb): the ``/units`` table and signal time series."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroloom._io.atomic import tmp_name
from neuroloom.export._common import require, signal_keys, trains, view_spikes
from neuroloom.study.run import run_name

if TYPE_CHECKING:
    from neuroloom.datastore.view import View


def to_nwb(
    view: View, path: str | os.PathLike[str], *, description: str | None = None, signals: bool = True
) -> Path:
    """Write the view's recordings to an NWB file (atomically) and return its path.

    ``/units``: one row per (run, population, node) with ``spike_times`` in
    seconds and the columns ``run``, ``population``, ``node_id`` and the run's
    explored parameters. Each recorded (run, population, variable) becomes an
    acquisition ``TimeSeries`` (data ``time x nodes`` in its unit, ``rate`` in Hz,
    ``starting_time`` in s), described by its node ids.
    """
    pynwb = require("pynwb")
    path = Path(path)
    spikes = view_spikes(view)
    runs = view.runs.rename(columns=lambda c: str(c).removeprefix("st_"))  # columns param_<name>
    params = [c for c in runs.columns if c != "name"]
    nwb = pynwb.NWBFile(
        session_description=description or f"neuroloom study {view.study.path.name}: {view!r}",
        identifier=f"neuroloom-{view.study.id}",
        session_start_time=datetime.datetime.now(datetime.timezone.utc),
    )
    nwb.add_unit_column("run", "neuroloom run index")
    nwb.add_unit_column("population", "SONATA node population")
    nwb.add_unit_column("node_id", "SONATA node id")
    for p in params:
        nwb.add_unit_column(_column(p), f"run parameter {p}")
    values = {p: runs[p].to_dict() for p in params}
    for run, pop, node, times in trains(spikes):
        extra = {_column(p): _plain(values[p][run]) for p in params}
        nwb.add_unit(spike_times=times / 1000.0, run=run, population=pop, node_id=node, **extra)
    if signals:
        for pop, var in signal_keys(view):
            traces = view.signals(pop, var)
            times = traces.columns.to_numpy(dtype=np.float64)
            dt = float(times[1] - times[0]) if len(times) > 1 else 1.0
            for run in traces.index.get_level_values("run").unique():
                part = traces.loc[run]
                ids = part.index.to_numpy(dtype=np.int64)
                nwb.add_acquisition(
                    pynwb.TimeSeries(
                        name=f"{var}_{pop}_{run_name(int(run))}",
                        data=part.to_numpy().T,
                        unit=str(traces.attrs.get("unit", "")),
                        rate=1000.0 / dt,
                        starting_time=float(times[0]) / 1000.0,
                        description=f"{var} of {pop} nodes {ids.tolist()} in {run_name(int(run))}",
                    )
                )
    tmp = path.with_name(tmp_name(".nwb"))
    try:
        with pynwb.NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _column(name: str) -> str:
    return "param_" + name.replace(".", "_")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
