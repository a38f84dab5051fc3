"""Import in_silico_framework's 18,000-trial spike table: neuroloom import-isf vs pandas reading the pickle.

1. Source: ``../shared/corpus/isf-examples/18k_trials`` (an ISF database; the
   key ``spike_times`` is a 2.3 MB pickle of the wide spike-time table).
2. pandas: ``pd.read_pickle`` of the same dump file (what an ISF user does to
   get the table into memory; no study, no queries).
3. neuroloom: ``nl.isf.import_(source, dest, allow_pickle=True)``: the key
   stored with a safe codec, one run per trial in one run batch, the
   consolidated tables built. Bytes and files of the resulting study.
4. The manual's question on the imported study (trials with a spike in
   [245, 265) ms, overall and per ``stim``), timed from opening the study.
5. A simrun folder import (six trials with Vm traces, activations, param files).

Targets (issue 15): <= 2x the source's bytes, <= 100 files, <= 3 s; the query in tens of ms.

Usage: python bench/bench_import.py [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

import neuroloom as nl
import neuroloom.isf as isf

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "isf-examples"
T0, T1 = 245.0, 265.0


def tree(path: Path) -> tuple[int, int]:
    """(files, bytes) below ``path``."""
    files = [Path(d) / f for d, _s, names in os.walk(path) for f in names]
    return len(files), sum(f.stat().st_size for f in files)


def time_pandas(dump: Path, repeat: int) -> tuple[float, pd.DataFrame]:
    times, table = [], pd.DataFrame()
    for _ in range(repeat):
        t = time.perf_counter()
        table = pd.read_pickle(dump)
        times.append(time.perf_counter() - t)
    return min(times), table


def time_import(source: Path, work: Path, repeat: int) -> tuple[float, Path]:
    times = []
    dest = work / "import-0"
    for i in range(repeat):
        dest = work / f"import-{i}"
        t = time.perf_counter()
        isf.import_(source, dest, allow_pickle=True).close()
        times.append(time.perf_counter() - t)
    return min(times), dest


def time_query(path: Path, repeat: int = 7) -> tuple[float, pd.DataFrame]:
    from neuroloom.datastore import consolidate

    times, per = [], pd.DataFrame()
    for _ in range(repeat):
        consolidate._CACHE.clear()
        t = time.perf_counter()
        study = nl.Study(path)
        view = study.filter()
        view.trials_with_spike(T0, T1)
        per = view.trials_with_spike(T0, T1, by="st_stim")
        times.append(time.perf_counter() - t)
        study.close()
    return statistics.median(times), per


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="keep the imported study here")
    args = parser.parse_args()
    source = (CORPUS / "18k_trials").resolve()
    dump = source / "spike_times" / "to_pickle_dump"
    src_files, src_bytes = tree(source)
    print(f"source {source}: {src_files} files, {src_bytes:,} bytes")
    pandas_s, table = time_pandas(dump, args.repeat)
    print(f"pandas.read_pickle: {pandas_s:.3f} s ({len(table):,} rows)")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        import_s, dest = time_import(source, Path(tmp), args.repeat)
        files, size = tree(dest)
        print(
            f"neuroloom import-isf: {import_s:.3f} s, {files} files, {size:,} bytes "
            f"({size / src_bytes:.2f}x the source) -> {import_s / pandas_s:.1f}x pandas' read time"
        )
        query_s, per = time_query(dest)
        print(f"open + trials_with_spike overall and per stim: {1000 * query_s:.1f} ms (median of 7)")
        print(per[["st_stim", "n_trials", "n_with_spike", "n_without_spike"]].to_string(index=False))
        sim_dest = Path(tmp) / "simrun"
        t = time.perf_counter()
        isf.import_(CORPUS.resolve(), sim_dest).close()
        sim_s = time.perf_counter() - t
        sim_files, sim_bytes = tree(sim_dest)
        raw_files, raw_bytes = tree(CORPUS.resolve() / "C2_evoked_UpState_INH_PW_1.0_SuW_0.5_C2center")
        print(
            f"simrun folder ({raw_files} files, {raw_bytes:,} bytes): {sim_s:.2f} s -> "
            f"{sim_files} files, {sim_bytes:,} bytes"
        )
        if args.keep is not None:
            shutil.copytree(dest, args.keep)


if __name__ == "__main__":
    main()
