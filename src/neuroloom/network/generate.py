"""Stream a network's edges to indexed SONATA files, block by block of target ids.

For each (source network, target network) pair, targets are visited in fixed
blocks of ``RNG_BLOCK`` ids. Every connection map draws its pairs for the
block from a generator seeded with ``(seed, map index, block index)``, so the
result does not depend on how many blocks are gathered before a write
(``chunk_edges``). Each block's edges are sorted by (target, source) and
appended to the file; once all are written the two indices are built out of
core (:func:`neuroloom.sonata.index.write_index`).

bmtk-style maps (connection rules given as functions or lists, and int rules
with per-edge callbacks) are evaluated first, for all maps in the order they
were added, as bmtk does (see :mod:`neuroloom.network.callbacks`); their
edges are then handed out block by block like the others.

What is written where (bmtk's layout, opened by libsonata): values shared by
the edges of one ``add_edges`` call go in the edge types table; per-edge
values (``add_properties``) and ``nsyns`` (maps with int, function or list
rules and no per-edge values) go in group ``"0"``.

Memory bound (independent of the number of edges): the node tables; per
block in flight (``2 * threads`` of them) its candidate pairs, about 1024
targets x a few hundred proposals x ~100 bytes (~50 MB); the write buffer of
``chunk_edges`` edges (~70 bytes each, twice while merging: ~0.6 GB at the
default 4M); and the index builder's ``max_rows`` (20M) x ~40 bytes plus one
8M-row scan slice (~1 GB). Measured: 2.7 GiB peak RSS for 1,000,000 neurons
and 118 M edges.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError
from neuroloom.network.callbacks import CALLBACK_BLOCK, CallbackRule, pairs_of_counts, seed_globals
from neuroloom.network.connections import ConnectionMap
from neuroloom.network.nodes import Node, csv_text, types_table
from neuroloom.network.rules import AllToAll, ArrayRule, Block, NodeArrays, NodeColumns, wants_rng
from neuroloom.sonata.edges_write import EdgeFileWriter
from neuroloom.sonata.index import stable_order

RNG_BLOCK = 1024
CSV_ONLY = (list, tuple, dict)


@dataclass
class EdgeJob:
    """One ``add_edges`` call with what generating it needs from its networks."""

    cm: ConnectionMap
    index: int
    source_table: pd.DataFrame
    target_table: pd.DataFrame
    source_nodes: Callable[[], list[Node]]
    target_nodes: Callable[[], list[Node]]
    evaluated: dict[str, np.ndarray] | None = None
    """The map's edges and values when its callbacks were evaluated up front (this build only)."""


@dataclass
class EdgeFile:
    """One written edges file: its path, population name and edge types table."""

    path: Path
    population: str
    types: pd.DataFrame


@dataclass
class BuiltEdges:
    """What :func:`generate_edge_files` wrote, per (source network, target network)."""

    files: dict[tuple[str, str], EdgeFile] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    synapses: dict[tuple[str, str], int] = field(default_factory=dict)


def _numeric(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_))


def _column_type(name: str, given: list[np.dtype[Any]], shared: list[Any], missing: bool) -> tuple[Any, Any]:
    """dtype and fill value of one per-edge column (strings or numbers, never both)."""
    text = {dt.kind == "O" for dt in given} | {isinstance(v, str) for v in shared}
    if len(text) > 1 or any(not _numeric(v) and not isinstance(v, str) for v in shared):
        raise NetworkBuildError(
            f"edge property {name!r} has strings in one add_edges call and numbers (or another type) in "
            "another: give one type per property"
        )
    if text == {True}:
        return np.dtype(object), ""
    dtype = given[0]
    for dt in given[1:]:
        dtype = np.promote_types(dtype, dt)
    if missing or any(isinstance(v, (float, np.floating)) for v in shared):
        dtype = np.promote_types(dtype, np.float64)
    return dtype, (np.nan if dtype.kind == "f" else 0)


def _declare(cmaps: list[ConnectionMap]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-edge columns (group "0"): dtype and the fill value for maps that do not give them.

    Per-edge values are the ``add_properties`` names and ``nsyns``; a value
    shared by a map's edges stays in the types table, unless another map gives
    the same name per edge (then it is repeated in the column).
    """
    given: dict[str, list[np.dtype[Any]]] = {}
    for cm in cmaps:
        for rule in cm.property_rules:
            for name, dt in zip(rule.names, rule.dtypes):
                given.setdefault(name, []).append(np.dtype(dt))
    dtypes: dict[str, Any] = {}
    fills: dict[str, Any] = {}
    for name, dts in given.items():
        shared = [cm.edge_type_properties[name] for cm in cmaps if name in cm.edge_type_properties]
        missing = any(name not in cm.property_names and name not in cm.edge_type_properties for cm in cmaps)
        dtypes[name], fills[name] = _column_type(name, dts, shared, missing)
    if any(cm.may_repeat for cm in cmaps) and "nsyns" not in dtypes:
        dtypes["nsyns"], fills["nsyns"] = np.dtype(np.uint32), 1
    return dtypes, fills


def edge_types_table(cmaps: list[ConnectionMap]) -> pd.DataFrame:
    rows = []
    for cm in cmaps:
        row: dict[str, Any] = {
            "edge_type_id": cm.edge_type_id,
            "target_query": cm.target.filter_str,
            "source_query": cm.source.filter_str,
        }
        for key, value in cm.edge_type_properties.items():
            row[key] = csv_text(value)
        rows.append(row)
    return types_table(rows)


def _pairs_of(jobs: list[EdgeJob]) -> dict[tuple[str, str], list[EdgeJob]]:
    groups: dict[tuple[str, str], list[EdgeJob]] = {}
    for job in jobs:
        groups.setdefault((job.cm.source_network_name, job.cm.target_network_name), []).append(job)
    return groups


def generate_edge_files(
    jobs: list[EdgeJob],
    work: Path,
    *,
    seed: int,
    chunk_edges: int = 4_000_000,
    threads: int = 1,
    callback_workers: int = 1,
    progress: bool = True,
) -> BuiltEdges:
    """Generate every edge population of ``jobs`` into ``work``; returns what was written."""
    evaluate_callbacks(jobs, seed, callback_workers)
    built = BuiltEdges()
    for (src_name, trg_name), items in _pairs_of(jobs).items():
        cmaps = [job.cm for job in items]
        path = work / f"{src_name}_{trg_name}_edges.h5"
        population = f"{src_name}_to_{trg_name}"
        dtypes, fills = _declare(cmaps)
        writer = EdgeFileWriter(
            path,
            population,
            source=src_name,
            target=trg_name,
            source_size=cmaps[0].source.network.nnodes,
            target_size=cmaps[0].target.network.nnodes,
            properties=dtypes,
        )
        try:
            rows, synapses = _stream(items, writer, dtypes, fills, seed, chunk_edges, threads, progress)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        built.files[(src_name, trg_name)] = EdgeFile(path, population, edge_types_table(cmaps))
        built.rows[(src_name, trg_name)] = rows
        built.synapses[(src_name, trg_name)] = synapses
    return built


def _bmtk_path(cm: ConnectionMap) -> bool:
    """Maps evaluated up front in bmtk's order: callback rules, and int rules with per-edge callbacks."""
    if isinstance(cm.rule, CallbackRule):
        return True
    per_edge_callbacks = any(callable(r.rule) and not r.vectorized for r in cm.property_rules)
    return isinstance(cm.rule, AllToAll) and per_edge_callbacks


def _evaluate_part(
    job: EdgeJob, t_ids: np.ndarray, s_ids: np.ndarray, seed: int, block: int | None = None
) -> dict[str, np.ndarray]:
    """Edges of one map for the targets ``t_ids`` (bmtk's order: source major), with rule properties.

    ``block``: the index of the block of targets in the parallel path; each block
    draws its vectorised properties from its own stream, as its callbacks do.
    """
    cm = job.cm
    where = cm.describe()
    src_nodes, trg_nodes = job.source_nodes(), job.target_nodes()
    if isinstance(cm.rule, CallbackRule):
        counts = cm.rule.counts([src_nodes[i] for i in s_ids], [trg_nodes[i] for i in t_ids], where)
    else:
        assert isinstance(cm.rule, AllToAll)
        counts = np.full((t_ids.size, s_ids.size), max(cm.rule.n_synapses, 0), dtype=np.int64)
        if not cm.rule.autapses and cm.source.network is cm.target.network:
            counts[t_ids[:, None] == s_ids[None, :]] = 0
    src, trg, n = pairs_of_counts(counts, s_ids, t_ids)
    part: dict[str, np.ndarray] = {}
    if cm.property_rules:
        src, trg = np.repeat(src, n), np.repeat(trg, n)
        rng = np.random.default_rng([seed, job.index, 2] if block is None else [seed, job.index, block, 2])
        for rule in cm.property_rules:
            part.update(
                rule.evaluate(
                    NodeArrays(job.source_table, src),
                    NodeArrays(job.target_table, trg),
                    rng,
                    src_nodes,
                    trg_nodes,
                    where,
                )
            )
        n = np.ones(src.size, dtype=np.int64)
    part.update({"source": src, "target": trg, "n": n})
    return part


_FORKED: dict[str, Any] = {}


def _forked_block(task: tuple[int, int]) -> dict[str, np.ndarray]:
    """Worker side of the parallel callback path (the jobs are inherited by fork)."""
    j, b = task
    job: EdgeJob = _FORKED["jobs"][j]
    s_ids, t_ids = _FORKED["ids"][j]
    seed_globals(_FORKED["seed"], job.index, b)
    return _evaluate_part(
        job, t_ids[b * CALLBACK_BLOCK : (b + 1) * CALLBACK_BLOCK], s_ids, _FORKED["seed"], b
    )


def _parallel_parts(
    todo: list[EdgeJob], ids: list[tuple[np.ndarray, np.ndarray]], seed: int, workers: int
) -> Iterator[list[dict[str, np.ndarray]]]:
    tasks = [
        (j, b) for j, (_, t) in enumerate(ids) for b in range((t.size + CALLBACK_BLOCK - 1) // CALLBACK_BLOCK)
    ]
    for job in todo:  # node objects are made once, before the fork
        job.source_nodes()
        job.target_nodes()
    _FORKED.update(jobs=todo, ids=ids, seed=seed)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_forked_block, tasks, chunksize=1)
    finally:
        _FORKED.clear()
    for j in range(len(todo)):
        yield [r for (jj, _), r in zip(tasks, results) if jj == j]


def evaluate_callbacks(jobs: list[EdgeJob], seed: int, workers: int = 1) -> None:
    """Run every bmtk-path map's callbacks (see :mod:`neuroloom.network.callbacks` for the order).

    ``workers == 1``: in bmtk's order with numpy's global random state;
    ``workers > 1``: per block of targets in forked processes, each block seeded
    from ``(seed, map index, block index)``.
    """
    todo = [job for job in jobs if _bmtk_path(job.cm)]
    if not todo:
        return
    ids = [(np.sort(job.cm.source.node_ids), np.sort(job.cm.target.node_ids)) for job in todo]
    if workers > 1:
        parts_per_job: Iterator[list[dict[str, np.ndarray]]] = _parallel_parts(todo, ids, seed, workers)
    else:
        parts_per_job = iter([[_evaluate_part(job, t, s, seed)] for job, (s, t) in zip(todo, ids)])
    for job, parts in zip(todo, parts_per_job):
        merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        order = np.argsort(merged["target"], kind="stable")  # blocks take targets in order
        job.evaluated = {key: v[order] for key, v in merged.items()}


def _thread_safe(job: EdgeJob) -> bool:
    """Whether a map's blocks may run in parallel and stay reproducible.

    True for built-in rules, maps evaluated up front, and user functions that
    draw only from the ``rng`` they are given (numpy's global random state would be shared).
    """
    if job.evaluated is not None:
        return True
    cm = job.cm
    if isinstance(cm.rule, ArrayRule) and not wants_rng(cm.rule.fn):
        return False
    return all(not callable(r.rule) or (r.vectorized and wants_rng(r.rule)) for r in cm.property_rules)


def _prepared(items: list[EdgeJob]) -> list[tuple[EdgeJob, np.ndarray, np.ndarray, dict[str, Any], bool]]:
    first = items[0]
    src_cols = NodeColumns(first.source_table)
    trg_cols = src_cols if first.target_table is first.source_table else NodeColumns(first.target_table)
    out = []
    for job in items:
        cm = job.cm
        s_ids = np.sort(cm.source.node_ids)
        t_ids = np.sort(cm.target.node_ids)
        state: dict[str, Any] = {"src_cols": src_cols, "trg_cols": trg_cols}
        if job.evaluated is None:
            cm.rule.prepare(NodeArrays(src_cols, s_ids), NodeArrays(trg_cols, t_ids), state)
        out.append((job, s_ids, t_ids, state, cm.source.network is cm.target.network))
    return out


def _block_part(
    prepared: tuple[EdgeJob, np.ndarray, np.ndarray, dict[str, Any], bool],
    lo: int,
    hi: int,
    b: int,
    seed: int,
) -> dict[str, np.ndarray] | None:
    """Edges of one map into target ids ``[lo, hi)`` (unsorted), with their per-edge values."""
    job, s_ids, t_ids, state, same = prepared
    cm = job.cm
    if job.evaluated is not None:
        ev = job.evaluated
        a, z = np.searchsorted(ev["target"], [lo, hi])
        if a == z:
            return None
        done = {k: v[a:z] for k, v in ev.items()}
        done["nsyn"] = done.pop("n")
        return done
    a, z = np.searchsorted(t_ids, [lo, hi])
    if a == z or s_ids.size == 0:
        return None
    block_t = t_ids[a:z]
    src_cols, trg_cols = state["src_cols"], state["trg_cols"]
    rng = np.random.default_rng([seed, job.index, b])
    block = Block(
        s_ids, block_t, NodeArrays(src_cols, s_ids), NodeArrays(trg_cols, block_t), rng, same, state
    )
    src, trg, nsyn = cm.rule.generate(block)
    src = np.asarray(src, dtype=np.int64)
    trg = np.asarray(trg, dtype=np.int64)
    if nsyn is not None and cm.property_rules:
        src, trg = np.repeat(src, nsyn), np.repeat(trg, nsyn)
        nsyn = None
    cols: dict[str, np.ndarray] = {"source": src, "target": trg}
    if nsyn is not None:
        cols["nsyn"] = np.asarray(nsyn)
    prop_rng = np.random.default_rng([seed, job.index, b, 1])
    for rule in cm.property_rules:
        cols.update(
            rule.evaluate(
                NodeArrays(src_cols, src),
                NodeArrays(trg_cols, trg),
                prop_rng,
                job.source_nodes() if rule.needs_nodes else [],
                job.target_nodes() if rule.needs_nodes else [],
                cm.describe(),
            )
        )
    return cols


def _columns(
    cm: ConnectionMap, part: dict[str, np.ndarray], dtypes: Mapping[str, Any], fills: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """A part's columns as written: ids, type id, every declared per-edge column."""
    src = part["source"]
    cols: dict[str, np.ndarray] = {
        "source": src,
        "target": part["target"],
        "edge_type_id": np.full(src.size, cm.edge_type_id, dtype=np.int64),
    }
    for name, dt in dtypes.items():
        if name in part and name != "nsyns":
            cols[name] = np.asarray(part[name], dtype=dt)
        elif name == "nsyns":
            nsyn = part.get("nsyn")
            cols[name] = np.ones(src.size, np.uint32) if nsyn is None else np.asarray(nsyn, dtype=np.uint32)
        elif name in cm.edge_type_properties:
            cols[name] = np.full(src.size, cm.edge_type_properties[name], dtype=dt)
        else:
            cols[name] = np.full(src.size, fills[name], dtype=dt)
    cols["_synapses"] = np.asarray(
        [int(part["nsyn"].sum()) if part.get("nsyn") is not None else src.size], dtype=np.int64
    )
    return cols


def _progress_bar(n_blocks: int, population: str, progress: bool) -> Any:
    """A tqdm bar, or None when it would not show (tqdm makes a multiprocessing lock on first use: ~30 ms)."""
    if not progress or n_blocks < 16:
        return None
    from tqdm import tqdm

    return tqdm(total=n_blocks, desc=f"edges {population}", unit="block", leave=False)


def _finish_block(
    b: int, found: list[dict[str, np.ndarray] | None], trg_size: int, src_net_size: int
) -> dict[str, np.ndarray] | None:
    """One block's parts in one table sorted by (target, source)."""
    parts = [p for p in found if p is not None]
    if not parts:
        return None
    lo, hi = b * RNG_BLOCK, min((b + 1) * RNG_BLOCK, trg_size)
    merged = (
        {key: np.concatenate([p[key] for p in parts]) for key in parts[0]} if len(parts) > 1 else parts[0]
    )
    synapses = merged.pop("_synapses")
    # stable sort by (target, source): radix passes on the source, then on the target within the block
    order = stable_order(merged["source"], max(src_net_size, 1))
    order = order[stable_order(merged["target"][order] - lo, hi - lo)]
    out = {name: v[order] for name, v in merged.items()}
    out["_synapses"] = np.asarray([synapses.sum()])
    return out


def _stream(
    items: list[EdgeJob],
    writer: EdgeFileWriter,
    dtypes: Mapping[str, Any],
    fills: Mapping[str, Any],
    seed: int,
    chunk_edges: int,
    threads: int,
    progress: bool,
) -> tuple[int, int]:
    from concurrent.futures import Future, ThreadPoolExecutor

    src_net_size = items[0].cm.source.network.nnodes
    trg_size = items[0].cm.target.network.nnodes
    prepared = _prepared(items)
    n_blocks = (trg_size + RNG_BLOCK - 1) // RNG_BLOCK

    def make_part(b: int, j: int) -> dict[str, np.ndarray] | None:
        lo, hi = b * RNG_BLOCK, min((b + 1) * RNG_BLOCK, trg_size)
        part = _block_part(prepared[j], lo, hi, b, seed)
        return None if part is None else _columns(prepared[j][0].cm, part, dtypes, fills)

    threads = threads if all(_thread_safe(job) for job in items) else 1
    buffer: list[dict[str, np.ndarray]] = []
    buffered = 0
    total = 0
    synapses = 0
    bar = _progress_bar(n_blocks, writer.population, progress)
    n_items = len(prepared)
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        # the pool works on (block, connection map) items, several blocks ahead (bounded: memory);
        # blocks are finished and written in order, so the result does not depend on the threads
        window = max(2 * threads, 1)
        pending: deque[tuple[int, list[Future[dict[str, np.ndarray] | None]]]] = deque()
        ahead = 0
        for b in range(n_blocks):
            if threads > 1:
                while ahead < n_blocks and ahead < b + window:
                    pending.append((ahead, [pool.submit(make_part, ahead, j) for j in range(n_items)]))
                    ahead += 1
                _, futures = pending.popleft()
                merged = _finish_block(b, [f.result() for f in futures], trg_size, src_net_size)
            else:
                merged = _finish_block(b, [make_part(b, j) for j in range(n_items)], trg_size, src_net_size)
            if merged is not None:
                synapses += int(merged.pop("_synapses")[0])
                buffer.append(merged)
                buffered += merged["source"].size
            if buffer and buffered >= chunk_edges:
                total += _flush(writer, buffer, dtypes)
                buffer, buffered = [], 0
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if buffer:
        total += _flush(writer, buffer, dtypes, last=True)
    return total, synapses


def _flush(
    writer: EdgeFileWriter, buffer: list[dict[str, np.ndarray]], dtypes: Mapping[str, Any], last: bool = False
) -> int:
    merged = (
        {key: np.concatenate([p[key] for p in buffer]) for key in buffer[0]} if len(buffer) > 1 else buffer[0]
    )
    writer.append(
        merged["source"], merged["target"], merged["edge_type_id"], {k: merged[k] for k in dtypes}, last=last
    )
    return int(merged["source"].size)
