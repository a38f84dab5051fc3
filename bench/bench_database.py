"""Benchmark ``neuroloom.Database`` against signac, plain JSON files, pickle and Parquet.

Runs in one process and prints seconds and ratios for

* 10,000 small JSON items written then read back: neuroloom vs signac (one job
  document per item) vs ``json.dump`` files (target: at least as fast as signac);
* 100 DataFrames of 100,000 rows x 10 columns written then read back:
  neuroloom vs ``pandas.to_pickle`` vs bare ``to_parquet`` (target: at most 10 %
  overhead over bare Parquet).

Usage::

    .venv/bin/python bench/bench_database.py [--items 10000] [--frames 100] [--rows 100000] [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import Results, parser, print_table, time_it, verdict

import neuroloom


def _timed(fn: Callable[[], object]) -> float:
    return time_it(fn).best


def _small_values(count: int) -> list[dict[str, object]]:
    return [{"index": i, "rate": i * 0.5, "label": f"cell-{i}", "ok": i % 2 == 0} for i in range(count)]


def bench_small(root: Path, count: int) -> list[tuple[str, float, float]]:
    """Write then read ``count`` small JSON values with each tool."""
    import signac

    values = _small_values(count)
    rows = []

    db = neuroloom.Database(root / "neuroloom-small")

    def nl_write() -> None:
        for i, value in enumerate(values):
            db[f"item{i:05d}"] = value

    def nl_read() -> None:
        for i, value in enumerate(values):
            assert db[f"item{i:05d}"] == value

    rows.append(("neuroloom db[key] = dict", _timed(nl_write), _timed(nl_read)))

    project = signac.init_project(str(root / "signac-small"))

    def sg_write() -> None:
        for i, value in enumerate(values):
            project.open_job({"item": i}).init().document.update(value)

    def sg_read() -> None:
        for i, value in enumerate(values):
            assert dict(project.open_job({"item": i}).document) == value

    rows.append(("signac job.document", _timed(sg_write), _timed(sg_read)))

    plain = root / "json-small"
    plain.mkdir()

    def js_write() -> None:
        for i, value in enumerate(values):
            with open(plain / f"item{i:05d}.json", "w") as fh:
                json.dump(value, fh)

    def js_read() -> None:
        for i, value in enumerate(values):
            with open(plain / f"item{i:05d}.json") as fh:
                assert json.load(fh) == value

    rows.append(("json.dump files", _timed(js_write), _timed(js_read)))
    return rows


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"f{c}": rng.normal(size=rows) for c in range(7)}
    data["i0"] = rng.integers(0, 1000, rows)
    data["i1"] = np.arange(rows)
    data["t"] = rng.uniform(0, 1000, rows).astype(np.float32)
    return pd.DataFrame(data)


def _call(fn: Callable[..., object], *args: object) -> float:
    return time_it(lambda: fn(*args)).best


def _read_rows(reader: Callable[[Any], pd.DataFrame], where: object, rows: int) -> None:
    assert len(reader(where)) == rows


def bench_frames(root: Path, count: int, rows: int) -> list[tuple[str, float, float]]:
    """Write then read ``count`` DataFrames of ``rows`` x 10 columns with each tool."""
    frames = [_frame(rows, seed) for seed in range(min(count, 4))]
    pick = [frames[i % len(frames)] for i in range(count)]
    results = []

    db = neuroloom.Database(root / "neuroloom-frames")
    # warm up every code path (imports, pyarrow pools) so the first tool timed pays nothing extra
    warm = root / "warm-up"
    warm.mkdir()
    db["warm-up"] = frames[0]
    assert len(db["warm-up"]) == rows
    del db["warm-up"]
    frames[0].to_parquet(warm / "w.parquet")
    pd.read_parquet(warm / "w.parquet")
    frames[0].to_pickle(warm / "w.pkl")
    pd.read_pickle(warm / "w.pkl")

    bare = {"parquet": root / "bare-parquet", "pkl": root / "bare-pkl"}
    for folder in bare.values():
        folder.mkdir()
    # interleave the tools frame by frame so drifts in machine load hit them alike
    write = dict.fromkeys(("neuroloom", "parquet", "pkl"), 0.0)
    read = dict.fromkeys(("neuroloom", "parquet", "pkl"), 0.0)
    for i, frame in enumerate(pick):
        name = f"f{i:03d}"
        write["neuroloom"] += _call(db.__setitem__, ("frames", name), frame)
        write["parquet"] += _call(frame.to_parquet, bare["parquet"] / f"{name}.parquet")
        write["pkl"] += _call(frame.to_pickle, bare["pkl"] / f"{name}.pkl")
    for i in range(count):
        name = f"f{i:03d}"
        read["neuroloom"] += _call(_read_rows, db.__getitem__, ("frames", name), rows)
        read["parquet"] += _call(_read_rows, pd.read_parquet, bare["parquet"] / f"{name}.parquet", rows)
        read["pkl"] += _call(_read_rows, pd.read_pickle, bare["pkl"] / f"{name}.pkl", rows)
    results.append(("neuroloom db[key] = DataFrame", write["neuroloom"], read["neuroloom"]))
    results.append(("bare DataFrame.to_parquet", write["parquet"], read["parquet"]))
    results.append(("pandas.to_pickle", write["pkl"], read["pkl"]))
    return results


def _table(title: str, rows: list[tuple[str, float, float]], reference: str) -> list[dict[str, Any]]:
    table = [{"name": name, "write": w, "read": r, "total": w + r} for name, w, r in rows]
    print_table(title, table, reference=reference, ratio="total")
    return table


def main() -> None:
    args_parser = parser(__doc__, quick="500 items, 5 frames of 10,000 rows")
    args_parser.add_argument("--items", type=int, default=10_000)
    args_parser.add_argument("--frames", type=int, default=100)
    args_parser.add_argument("--rows", type=int, default=100_000)
    args_parser.add_argument("--tmp", default=None, help="folder for the temporary files")
    args = args_parser.parse_args()
    if args.quick:
        args.items, args.frames, args.rows = 500, 5, 10_000
    results = Results(__file__, args)
    root = Path(tempfile.mkdtemp(prefix="bench-database-", dir=args.tmp))
    os.environ.setdefault("NEUROLOOM_HOME", str(root / "home"))
    try:
        small = bench_small(root, args.items)
        results.add(
            "small_items",
            _table(f"{args.items} small JSON items, write then read back", small, "signac job.document"),
        )
        nl = small[0][1] + small[0][2]
        sg = small[1][1] + small[1][2]
        print(f"target neuroloom <= signac: {nl:.3f} s vs {sg:.3f} s -> {verdict(nl <= sg)}")

        frames = bench_frames(root, args.frames, args.rows)
        table = _table(
            f"{args.frames} DataFrames of {args.rows} rows x 10 columns, write then read back",
            frames,
            "bare DataFrame.to_parquet",
        )
        results.add("frames", table)
        nl = frames[0][1] + frames[0][2]
        pq = frames[1][1] + frames[1][2]
        overhead = (nl / pq - 1) * 100
        print(f"target overhead over bare Parquet <= 10 %: {overhead:+.1f} % -> {verdict(overhead <= 10)}")
        results.add("targets", {"neuroloom_le_signac": nl <= sg, "parquet_overhead_pct": overhead})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results.write()


if __name__ == "__main__":
    main()
