"""A view's recordings as neo objects (``Block`` -> ``Segment`` per run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from neuroloom.export._common import quantity_unit, require, signal_keys, trains, view_spikes
from neuroloom.study.run import run_name

if TYPE_CHECKING:
    from neuroloom.datastore.view import View


def to_neo(view: View, *, t_stop: float | None = None, signals: bool = True) -> Any:
    """Build a ``neo.Block``: one ``Segment`` per run of the view.

    Each segment is annotated with the run's parameters and holds a
    ``SpikeTrain`` (ms) per spiking neuron (annotations ``population``,
    ``node_id``) and, with ``signals=True``, one ``AnalogSignal`` per recorded
    (population, variable) with its unit and ``node_ids`` array annotation.

    Parameters
    ----------
    t_stop
        End of the spike trains in ms (default: the last spike time of the view).
    """
    neo = require("neo")
    pq = require("quantities")
    spikes = view_spikes(view)
    runs = view.runs.rename(columns=lambda c: str(c).removeprefix("st_"))  # annotation keys: bare names
    stop = float(t_stop) if t_stop is not None else float(spikes["time"].max()) if len(spikes) else 0.0
    block = neo.Block(name=view.study.path.name, description=repr(view))
    segments = {}
    for key, row in runs.iterrows():
        idx = int(str(key))
        seg = neo.Segment(name=run_name(int(idx)), index=int(idx))
        seg.annotate(
            run=int(idx), **{str(k).replace(".", "_"): _plain(v) for k, v in row.drop("name").items()}
        )
        block.segments.append(seg)
        segments[int(idx)] = seg
    for run, pop, node, times in trains(spikes):
        train = neo.SpikeTrain(times * pq.ms, t_start=0.0 * pq.ms, t_stop=stop * pq.ms)
        train.annotate(population=pop, node_id=node, run=run)
        segments[run].spiketrains.append(train)
    if signals:
        for pop, var in signal_keys(view):
            traces = view.signals(pop, var)
            unit = quantity_unit(str(traces.attrs.get("unit", "")))
            times = traces.columns.to_numpy(dtype=np.float64)
            dt = float(times[1] - times[0]) if len(times) > 1 else 1.0
            for run in traces.index.get_level_values("run").unique():
                part = traces.loc[run]
                sig = neo.AnalogSignal(
                    part.to_numpy().T,
                    units=unit,
                    sampling_period=dt * pq.ms,
                    t_start=float(times[0]) * pq.ms,
                    name=f"{pop}/{var}",
                )
                sig.annotate(population=pop, variable=var, run=int(run))
                sig.array_annotate(node_ids=part.index.to_numpy(dtype=np.int64))
                segments[int(run)].analogsignals.append(sig)
    return block


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
