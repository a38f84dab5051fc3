"""A neuroloom Database tour for in_silico_framework (ISF) ModelDataBase users.

What an ISF user does with ``I.ModelDataBase``, done with ``neuroloom.Database``:
managed folders, dict-like storage of tables and arrays, ``maybe_calculate``,
sub-databases per simulation batch, metadata with the git commit, and -- what
ISF could not do -- references that survive moving the database to another
disk (``neuroloom://`` URIs instead of absolute paths in parameter files).

Run it::

    .venv/bin/python examples/database_tour.py [OUTPUT_DIR]

Everything happens in OUTPUT_DIR (default ``database-tour-output``): a database
is built in ``OUTPUT_DIR/lab-disk/mdb``, moved to ``OUTPUT_DIR/cluster-scratch``
and used again there.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import neuroloom

# dask 2026.8 still calls pandas APIs that pandas 3.1 deprecates; nothing to act on here
warnings.filterwarnings("ignore", message="The inplace keyword", module="dask")


def synapse_activation(trial: int, n_syn: int = 2_000) -> pd.DataFrame:
    """A made-up synapse activation table of one trial (ISF's synapse_activation format)."""
    rng = np.random.default_rng(trial)
    return pd.DataFrame(
        {
            "trial": trial,
            "synapse_type": rng.choice(["L4ss_C2", "L5tt_C2", "VPM_C2"], n_syn),
            "synapse_id": np.arange(n_syn),
            "soma_distance": rng.uniform(0, 1200, n_syn).round(1),
            "activation_time": rng.gamma(2.0, 12.0, n_syn).round(2),
        }
    ).set_index(pd.Index([f"sim{trial:03d}"] * n_syn, name="sim_trial_index"))


def psth(spike_times: np.ndarray, trials: int, width: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Peri-stimulus time histogram in Hz."""
    edges = np.arange(0.0, 100.0 + width, width)
    counts, _ = np.histogram(spike_times, edges)
    return edges, counts / (trials * width / 1000.0)


def main(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    lab = out / "lab-disk"

    # I.ModelDataBase(path)  ->  neuroloom.Database(path)
    mdb = neuroloom.Database(lab / "mdb")
    print(f"database {mdb.path} id {mdb.id}")

    # mdb.create_managed_folder(...) works as in ISF; it is a pathlib.Path
    morphologies = mdb.create_managed_folder("anatomical_constraints")
    (morphologies / "cell.hoc").write_text("/* a morphology */\n")

    # Parameter files used to hold absolute paths; store a URI instead
    mdb["network_param"] = {
        "cell": mdb.uri("anatomical_constraints", "cell.hoc"),
        "celltypes": {"L5tt_C2": {"releaseProb": 0.6}, "VPM_C2": {"releaseProb": 0.6}},
    }

    # mdb['key'] = DataFrame: Parquet, not pickle; a dask DataFrame is stored partition by partition
    trials = 12
    frames = [synapse_activation(t) for t in range(trials)]
    activation = dd.from_pandas(pd.concat(frames), npartitions=4)
    mdb["synapse_activation"] = activation
    lazy = mdb["synapse_activation"]
    print(f"synapse_activation: lazy dask DataFrame with {lazy.npartitions} partitions")
    counts = lazy.groupby("synapse_type").size().compute().sort_index()
    print("synapses per type:", {name: int(n) for name, n in counts.items()})

    # ISF's dumper=... is codec=... (mdb.setitem(..., dumper=...) also works)
    rng = np.random.default_rng(7)
    spike_times = rng.gamma(3.0, 8.0, 60)
    mdb.setitem("spike_times", spike_times, dumper="npy")
    mdb.set(("analysis", "note"), "first look at the C2 stimulus", meta={"who": "tour"})

    # mdb.maybe_calculate: computed once, then read from disk
    calls = []

    def compute_psth() -> pd.DataFrame:
        calls.append(1)
        edges, rate = psth(np.asarray(mdb["spike_times"]), trials)
        return pd.DataFrame({"bin_start_ms": edges[:-1], "rate_hz": rate})

    table = mdb.maybe_calculate(("analysis", "psth"), compute_psth)
    table = mdb.maybe_calculate(("analysis", "psth"), compute_psth)
    print(f"psth computed {len(calls)} time(s) for two calls; peak {table.rate_hz.max():.1f} Hz")

    # results people look at get a plot, kept with the data
    figures = mdb.folder("figures")
    fig = Figure(figsize=(5, 3))
    ax = fig.subplots()
    ax.bar(table.bin_start_ms, table.rate_hz, width=5.0, align="edge")
    ax.set(xlabel="time after stimulus (ms)", ylabel="rate (Hz)", title="PSTH")
    fig.tight_layout()
    fig.savefig(figures / "psth.png", dpi=80)

    # mdb.create_sub_mdb: one sub-database per simulation batch
    batch = mdb.create_sub_mdb("simrun_batch1")
    batch["voltage_traces"] = rng.normal(-70, 3, size=(trials, 1000)).astype(np.float32)

    # metadata: codec, UTC time, versions, git commit and dirty flag
    meta = mdb.metadata("synapse_activation")
    print(
        f"metadata: codec {meta['codec']}, created {meta['created']}, neuroloom {meta['neuroloom']}, "
        f"git commit {meta['git_commit']} dirty={meta['git_dirty']}"
    )

    # move the whole database to another disk: nothing inside refers to the old place
    scratch = out / "cluster-scratch"
    shutil.move(str(lab), str(scratch))
    print(f"moved {lab} -> {scratch}")
    moved = neuroloom.Database(scratch / "mdb")  # opening it registers the new place
    cell_uri = moved["network_param"]["cell"]
    cell = neuroloom.resolve(cell_uri)
    print(f"{cell_uri} now resolves to {cell.relative_to(out)}")
    pd.testing.assert_frame_equal(moved["synapse_activation"].compute(), activation.compute())
    assert moved["simrun_batch1"]["voltage_traces"].shape == (trials, 1000)
    print(f"{len(moved)} items after the move: {', '.join(map(str, moved.keys()))}")
    return scratch / "mdb"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("database-tour-output"))
