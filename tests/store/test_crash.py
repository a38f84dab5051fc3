"""A writer killed with SIGKILL mid-write leaves the old value or the new one, never a torn one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroloom import Database
from neuroloom._io.atomic import TMP_PREFIX

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ROWS = 300_000

WRITER = """
import sys
import numpy as np
import pandas as pd
import neuroloom

db = neuroloom.Database(sys.argv[1])
rows, start = int(sys.argv[2]), int(sys.argv[3])
base = np.arange(rows)
frame = pd.DataFrame({"gen": np.full(rows, start), "row": base, "x": base * 0.5})
generation = start
while True:  # nearly all the time of this loop is spent inside the three writes
    frame["gen"] = generation
    db.set("frame", frame, meta={"gen": generation})
    db.set("array", np.full(rows, generation, dtype=np.int64), meta={"gen": generation})
    db.set(("json", "value"), {"gen": generation, "pad": [generation] * 100}, meta={"gen": generation})
    print(generation, flush=True)
    generation += 1
"""


def check_whole(db: Database) -> dict[str, int]:
    """Every item holds one complete generation, the one its metadata names."""
    gens = {}
    frame = db["frame"]
    gen = db.metadata("frame")["meta"]["gen"]
    assert len(frame) == ROWS and (frame["gen"] == gen).all()
    np.testing.assert_array_equal(frame["row"], np.arange(ROWS))
    gens["frame"] = gen
    if "array" in db:
        array = db["array"]
        gen = db.metadata("array")["meta"]["gen"]
        assert array.shape == (ROWS,) and (array == gen).all()
        gens["array"] = gen
    if ("json", "value") in db:
        value = db[("json", "value")]
        gen = db.metadata(("json", "value"))["meta"]["gen"]
        assert value == {"gen": gen, "pad": [gen] * 100}
        gens["json"] = gen
    return gens


def debris(db: Database) -> list[Path]:
    return [p for p in (db.path / "items").rglob(f"{TMP_PREFIX}*")]


@pytest.mark.slow
def test_sigkill_during_writes_never_tears_an_item(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random(1234)
    start = 0
    left_debris = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db.path), str(ROWS), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # one full generation is on disk: now kill at a random moment
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        proc.stdout.close()
        gens = check_whole(Database(db.path))
        assert max(gens.values()) - min(gens.values()) <= 1
        start = max(gens.values()) + 1
        left_debris += bool(debris(db))
    assert left_debris >= 1, "no kill landed inside a write: the test did not test anything"

    # a later write of each key removes the temporary files the dead writers left
    db.set(
        "frame", pd.DataFrame({"gen": np.full(ROWS, -1), "row": np.arange(ROWS), "x": 0.0}), meta={"gen": -1}
    )
    db.set("array", np.full(ROWS, -1, dtype=np.int64), meta={"gen": -1})
    db.set(("json", "value"), {"gen": -1, "pad": [-1] * 100}, meta={"gen": -1})
    assert debris(db) == []
    assert check_whole(db) == {"frame": -1, "array": -1, "json": -1}
    # payloads orphaned between their rename and the item.json swap are swept by vacuum
    db.vacuum(min_age=0)
    for key in ("frame", "array"):
        assert len(list((db.path / "items" / key).glob(".v-*"))) == 1
