"""A tour of the Database: every codec, folders, sub-databases, URIs, moves.

Run by ``neuroloom demo`` (and ``make demo``) until the full study demo
exists. Everything it does is real: files on disk, read back and checked.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from neuroloom.store import Database, resolve


def run(out: Path, echo: Callable[[str], None] = print) -> Path:
    """Build a database in ``out/store-tour``, move it, resolve URIs; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    first = out / "store-tour"
    moved = out / "store-tour-moved"
    for old in (first, moved):
        if (old / "neuroloom.json").exists():
            shutil.rmtree(old)
    db = Database(first)
    echo(f"created database {db.path} (id {db.id})")

    rng = np.random.default_rng(0)
    trials = pd.DataFrame(
        {
            "trial": np.repeat(np.arange(1000), 5),
            "spike_time": rng.uniform(0, 300, 5000).round(2),
            "stim": np.repeat(rng.choice(["C2", "D2", "B1"], 1000), 5),
        }
    )
    started = time.perf_counter()
    db["spike_times"] = trials
    db["voltage"] = rng.normal(-65, 2, size=(100, 2000)).astype(np.float32)
    db["params"] = {"tau_m": 20.0, "rates": [5, 10, 20], "model": "lif"}
    db[("analysis", "rate_hz")] = 4.2
    db.set("raw_header", b"SONATA\x00\x01", meta={"source": "demo"})
    elapsed = (time.perf_counter() - started) * 1000
    echo(f"stored 5 items (Parquet, npy, JSON, inline JSON, bytes) in {elapsed:.1f} ms")

    folder = db.folder("morphologies")
    (folder / "cell.swc").write_text("1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n")
    sub = db.sub("run_0001")
    sub["spikes"] = pd.DataFrame({"node_id": [0, 1, 1], "t": [1.5, 2.5, 7.0]})
    calls: list[int] = []

    def expensive() -> int:
        calls.append(1)
        return 42

    db.cached("expensive", expensive)
    db.cached("expensive", expensive)
    echo(f"db.cached computed the value {len(calls)} time(s) for 2 calls")

    uris = {
        "params": db.uri("params"),
        "morphology file": db.uri("morphologies", "cell.swc"),
        "spikes of a sub-database": sub.uri("spikes"),
    }
    meta = db.metadata("spike_times")
    echo(
        f"metadata of 'spike_times': codec {meta['codec']}, created {meta['created']}, "
        f"neuroloom {meta['neuroloom']}, git commit {str(meta['git_commit'])[:10]} "
        f"(dirty={meta['git_dirty']}), host {meta['host']}"
    )

    shutil.move(str(first), str(moved))
    echo(f"moved the database to {moved}")
    for label, uri in uris.items():
        value = resolve(uri, search=[out])
        shown = value.name if isinstance(value, Path) else type(value).__name__
        echo(f"  {uri} -> {label}: {shown}")
    db = Database(moved)
    assert db["spike_times"].equals(trials)
    echo(f"read back after the move: {len(db)} items: {', '.join(map(str, db.keys()))}")
    echo(f"voltage is memory-mapped: {type(db['voltage']).__name__} {db['voltage'].shape}")
    return moved
