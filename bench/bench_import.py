"""Import in_silico_framework's 18,000-trial spike table: neuroloom import-isf vs pandas reading the pickle.

1. Source: ``../shared/corpus/isf-examples/18k_trials`` (an ISF database; the
   key ``spike_times`` is a 2.3 MB pickle of the wide spike-time table).
2. pandas: ``pd.read_pickle`` of the same dump file (what an ISF user does to
   get the table into memory; no study, no queries).
3. neuroloom: ``nl.isf.import_(source, dest, allow_pickle=True)``: the key
   stored with a safe codec, one run per trial in one run batch, the
   consolidated tables built. Bytes and files of the resulting study. Also
   ``neuroloom import-isf`` in a fresh process (Python start and imports included).
4. The manual's question on the imported study (trials with a spike in
   [245, 265) ms, overall and per ``stim``), timed from opening the study
   with a cold table cache; the answer is checked against the manual.
5. The simrun folder import (six trials with Vm traces, activations, param files).

Targets (issue 15): <= 2x the source's bytes, <= 100 files, <= 3 s; the query in
tens of ms. Before (issue 15): 23 s, 244 MB in 36,032 files.

Usage: python bench/bench_import.py [--repeat 3] [--keep DIR] [--quick]
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from bench_query import time_query
from harness import Results, parser, print_table, time_it, verdict

import neuroloom.isf as isf

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "isf-examples"
SIMRUN = "C2_evoked_UpState_INH_PW_1.0_SuW_0.5_C2center"
_CLI = "import sys; from neuroloom.cli import main; sys.exit(main())"
MANUAL = {"B1": 443, "B2": 212, "B3": 178, "C1": 669, "C2": 840}
MANUAL |= {"C3": 553, "D1": 619, "D2": 535, "D3": 150, "E2": 216}


def tree(path: Path) -> tuple[int, int]:
    """(files, bytes) below ``path``."""
    files = [Path(d) / f for d, _s, names in os.walk(path) for f in names]
    return len(files), sum(f.stat().st_size for f in files)


def bench_18k(work: Path, repeat: int, results: Results) -> Path:
    """pandas vs import-isf on ``18k_trials``; returns the last imported study."""
    source = (CORPUS / "18k_trials").resolve()
    src_files, src_bytes = tree(source)
    print(f"source {source}: {src_files} files, {src_bytes:,} bytes")
    pandas = results.add(
        "pandas_read_pickle",
        time_it(lambda: pd.read_pickle(source / "spike_times" / "to_pickle_dump"), repeat),
    )
    numbers = itertools.count()

    def one_import() -> Path:
        dest = work / f"import-{next(numbers)}"
        isf.import_(source, dest, allow_pickle=True).close()
        return dest

    imported = results.add("import_isf", time_it(one_import, repeat))
    dest: Path = imported.result

    def cli_import() -> None:  # as a user types it: a fresh Python process, imports included
        command = [sys.executable, "-c", _CLI, "import-isf", str(source), str(work / f"cli-{next(numbers)}")]
        subprocess.run([*command, "--allow-pickle"], check=True, capture_output=True)

    cli = results.add("import_isf_cli", time_it(cli_import, repeat))
    files, size = tree(dest)
    results.add("source", {"files": src_files, "bytes": src_bytes})
    results.add("study", {"files": files, "bytes": size, "bytes_ratio": size / src_bytes})
    print_table(
        f"18,000 trials into memory (pandas) / into a study (neuroloom), best of {repeat}",
        [
            {"name": "pandas.read_pickle", "time": pandas.best},
            {"name": "neuroloom import-isf", "time": imported.best},
            {"name": "neuroloom import-isf (CLI)", "time": cli.best},
        ],
        reference="pandas.read_pickle",
        ratio="time",
    )
    print(f"study: {files} files, {size:,} bytes = {size / src_bytes:.2f}x the source's {src_bytes:,}")
    print(
        f"target <= 2x bytes: {verdict(size <= 2 * src_bytes)}; <= 100 files: {verdict(files <= 100)}; "
        f"<= 3 s: {verdict(imported.best <= 3.0)} (CLI, fresh process: {verdict(cli.best <= 3.0)})"
    )
    return dest


def bench_query(dest: Path, results: Results) -> None:
    timing = results.add("query", time_query(dest))
    overall, per = timing.result
    print(
        f"\nopen + trials_with_spike overall and per st_stim: {1000 * timing.median:.1f} ms "
        f"(median of 7, best {1000 * timing.best:.1f} ms)"
    )
    print(per[["st_stim", "n_trials", "n_with_spike", "n_without_spike"]].to_string(index=False))
    right = int(overall["n_with_spike"].iloc[0]) == 4415
    right &= per.set_index("st_stim")["n_with_spike"].to_dict() == MANUAL
    print(f"the manual's table: {verdict(right)}; tens of ms: {verdict(timing.median < 0.1)}")


def bench_simrun(work: Path, results: Results) -> None:
    raw_files, raw_bytes = tree(CORPUS.resolve() / SIMRUN)
    dest = work / "simrun"
    timing = results.add(
        "simrun_import", time_it(lambda: isf.import_(CORPUS.resolve() / SIMRUN, dest).close())
    )
    files, size = tree(dest)
    results.add(
        "simrun", {"source_files": raw_files, "source_bytes": raw_bytes, "files": files, "bytes": size}
    )
    print(
        f"\nsimrun folder ({raw_files} files, {raw_bytes:,} bytes): {timing.best:.2f} s -> "
        f"{files} files, {size:,} bytes ({size / raw_bytes:.2f}x)"
    )


def main() -> None:
    args_parser = parser(__doc__, quick="one repeat")
    args_parser.add_argument("--repeat", type=int, default=3)
    args_parser.add_argument("--keep", type=Path, default=None, help="keep the imported study here")
    args = args_parser.parse_args()
    results = Results(__file__, args)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        dest = bench_18k(Path(tmp), 1 if args.quick else args.repeat, results)
        bench_query(dest, results)
        bench_simrun(Path(tmp), results)
        if args.keep is not None:
            shutil.copytree(dest, args.keep)
    results.write()


if __name__ == "__main__":
    main()
