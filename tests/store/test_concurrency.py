"""Several processes write and read different keys of one database at the same time."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroloom import Database
from neuroloom.errors import ItemNotFoundError

TASKS = 8
ROUNDS = 3
ROWS = 20_000


def expected_frame(task: int, round_: int) -> pd.DataFrame:
    return pd.DataFrame({"task": np.full(ROWS, task), "round": np.full(ROWS, round_), "row": np.arange(ROWS)})


def check_item(db: Database, key: tuple[str, ...], task: int) -> int | None:
    """Read one item of ``task`` and check it is complete; return its round (None if absent)."""
    try:
        value = db[key]
    except ItemNotFoundError:
        return None
    if key[-1] == "frame":
        round_ = int(value["round"].iloc[0])
        pd.testing.assert_frame_equal(value, expected_frame(task, round_))
    elif key[-1] == "array":
        round_ = int(value[0]) - task * 100
        np.testing.assert_array_equal(value, np.full(ROWS, task * 100 + round_))
    else:
        round_ = value["round"]
        assert value == {"task": task, "round": round_, "pad": list(range(round_ * 10))}
    return round_


def write_and_read(db_path: str, task: int) -> int:
    """Write this task's keys ``ROUNDS`` times, reading every other task's keys between rounds."""
    db = Database(db_path)
    seen = 0
    for round_ in range(ROUNDS):
        db[(f"task{task:02d}", "frame")] = expected_frame(task, round_)
        db[(f"task{task:02d}", "array")] = np.full(ROWS, task * 100 + round_)
        db[(f"task{task:02d}", "meta")] = {"task": task, "round": round_, "pad": list(range(round_ * 10))}
        for other in range(TASKS):
            for name in ("frame", "array", "meta"):
                if check_item(db, (f"task{other:02d}", name), other) is not None:
                    seen += 1
    return seen


def check_final(db: Database) -> None:
    assert len(db) == TASKS * 3
    for task in range(TASKS):
        for name in ("frame", "array", "meta"):
            assert check_item(db, (f"task{task:02d}", name), task) == ROUNDS - 1
            folder = db.path / "items" / f"task{task:02d}" / name
            leftovers = [p.name for p in folder.iterdir() if p.name != "item.json"]
            assert len(leftovers) == (0 if name == "meta" else 1), leftovers  # old payloads removed


def test_multiprocessing_pool_writers_and_readers(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        seen = pool.starmap(write_and_read, [(str(db.path), task) for task in range(TASKS)])
    assert all(count >= 3 for count in seen)  # every task at least read back its own items
    check_final(db)


def test_dask_local_cluster_writers_and_readers(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    db = Database(tmp_path / "db")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = client.map(write_and_read, [str(db.path)] * TASKS, range(TASKS), pure=False)
        seen = client.gather(futures)
        pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2  # really two worker processes
    assert all(count >= 3 for count in seen)
    check_final(db)


def overwrite(db_path: str, key: str, times: int) -> int:
    """Overwrite ``key`` ``times`` times with a frame whose every row names its round."""
    db = Database(db_path)
    while "reader-ready" not in db:  # start once the reader reads, so that they overlap
        time.sleep(0.01)
    for round_ in range(1, times):
        db.set(key, expected_frame(0, round_), meta={"round": round_})
    return times - 1


def read_while_overwritten(db_path: str, key: str, stop_round: int) -> list[int]:
    """Read ``key`` until the last round shows up; every value read must be whole."""
    db = Database(db_path)
    rounds: list[int] = []
    db["reader-ready"] = True
    while not rounds or rounds[-1] < stop_round:
        round_ = check_item(db, (key, "frame"), 0)
        assert round_ is not None
        rounds.append(round_)
    return rounds


def test_readers_of_a_key_being_overwritten_see_whole_values(tmp_path: Path) -> None:
    db = Database(tmp_path / "db")
    db[("hot", "frame")] = expected_frame(0, 0)
    times = 40
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        reader = pool.apply_async(read_while_overwritten, (str(db.path), "hot", times - 1))
        writer = pool.apply_async(overwrite, (str(db.path), ("hot", "frame"), times))
        assert writer.get(timeout=120) == times - 1
        rounds = reader.get(timeout=120)
    assert rounds == sorted(rounds) and rounds[-1] == times - 1
    assert len(set(rounds)) > 1  # the reader saw the value change under it
    assert len(list((db.path / "items" / "hot" / "frame").glob(".v-*"))) == 1


def open_and_write(db_path: str, task: int) -> str:
    db = Database(db_path)
    db[f"t{task}"] = task
    return db.id


def test_processes_creating_the_same_new_database_agree_on_it(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh" / "db")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        ids = pool.starmap(open_and_write, [(path, task) for task in range(8)])
    assert len(set(ids)) == 1
    db = Database(path)
    assert db.id == ids[0] and sorted(db) == sorted(f"t{task}" for task in range(8))
