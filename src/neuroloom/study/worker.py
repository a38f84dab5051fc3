"""What a worker does with a chunk of runs: build each :class:`Run`, call the job,
journal each :class:`Outcome` before the next run starts (see
:mod:`neuroloom.study.journal`) and return them. Workers never open the catalog."""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroloom.errors import with_context
from neuroloom.params.tree import Namespace, group_names
from neuroloom.params.units import join
from neuroloom.params.values import decode
from neuroloom.study.journal import ChunkWriter, Ticket, coordinator_alive
from neuroloom.study.outcome import Outcome as Outcome  # re-exported (importers)
from neuroloom.study.run import Run, run_name, scalar_result
from neuroloom.study.runlog import LogSink, capture, error_with_log, keep_log

_HOST = socket.gethostname()


Converter = Callable[[Any], Any] | None


def converter_for(default: Any) -> Converter:
    """How a catalog column value becomes a parameter value of ``default``'s type."""
    if isinstance(default, bool):
        return bool
    if isinstance(default, (int, float, str)):
        return None
    return lambda text: decode(json.loads(text))


@dataclass
class WorkerContext:
    """Everything a worker needs, shipped once per worker (cloudpickled)."""

    study_path: Path
    study_id: str
    seed: int
    defaults: dict[str, Any]
    explored: list[str]
    job: Callable[[Run], Any]
    derived: dict[str, Callable[[Namespace], Any]] = field(default_factory=dict)
    converters: list[Converter] = field(default_factory=list)
    groups: frozenset[str] = frozenset()
    units: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (unit, library): quantities

    def __post_init__(self) -> None:
        self.converters = [converter_for(self.defaults[n]) for n in self.explored]
        self.groups = group_names([*self.defaults, *self.derived])

    def params_of(self, values: Sequence[Any]) -> dict[str, Any]:
        params = dict(self.defaults)
        for name, conv, value in zip(self.explored, self.converters, values):
            if value is not None:
                params[name] = conv(value) if conv is not None else value
        for name, (unit, library) in self.units.items():
            params[name] = join(params[name], unit, library)
        return params


def _describe(params: dict[str, Any], explored: list[str]) -> str:
    return ", ".join(f"{n}={params[n]!r}" for n in explored)


def _call(ctx: WorkerContext, run: Run, params: dict[str, Any], ns: Namespace) -> Any:
    """Compute the derived parameters, then call the job."""
    for name, fn in ctx.derived.items():
        value = fn(ns)
        params[name] = value
        run.derive(name, value)
    return ctx.job(run)


def run_one(ctx: WorkerContext, spec: Sequence[Any]) -> Outcome:
    """Run the job for ``spec = (idx, id, *explored values)``; never raises."""
    idx, run_id = spec[0], spec[1]
    start = time.time()
    params = ctx.params_of(spec[2:])
    ns = Namespace(params, ctx.groups)
    run = Run(ctx.study_path, ctx.study_id, ctx.seed, idx, run_id, ns)
    sink = LogSink()  # per-run log: stdout, stderr and logging of the job
    try:
        with capture(sink):
            value = _call(ctx, run, params, ns)
        keep_log(run, sink.getvalue())
        if isinstance(value, tuple):
            value = list(value)  # a returned tuple is stored as the list it is (run.save keeps tuples)
        if value is not None:
            stored = scalar_result(value)
            if stored is not None:
                run._results["return"] = stored
            else:
                try:
                    run.save("return", value)
                except Exception as exc:
                    raise with_context(
                        exc,
                        f"{run.name}: the job returned a {type(value).__module__}.{type(value).__qualname__} "
                        f"that cannot be stored: {exc}; return a number, str, dict/list, numpy array or "
                        "DataFrame, or save it with run.save(name, value, codec='pickle')",
                    ) from exc
        return Outcome(idx, True, start, time.time(), _HOST, os.getpid(), None, run.results())
    except Exception as exc:
        text = (
            f"{run_name(idx)} ({_describe(params, ctx.explored)}) failed: {type(exc).__name__}: {exc}\n"
            + traceback.format_exc()
        )
        text = error_with_log(text, sink.getvalue())
        return Outcome(idx, False, start, time.time(), _HOST, os.getpid(), text, [])


class ChunkInterrupted(KeyboardInterrupt):
    """Ctrl-C inside a chunk; ``finished`` holds the outcomes of the runs before it."""

    def __init__(self, finished: list[Outcome]) -> None:
        super().__init__()
        self.finished = finished


def run_chunk(ctx: WorkerContext, specs: Sequence[Sequence[Any]], ticket: Ticket) -> list[Outcome]:
    """Run every spec of a chunk in order, journaling each outcome in the session's
    journal ``ticket`` names. Runs an earlier attempt of the same chunk
    finished are not run again; if the coordinator is gone, nothing runs."""
    writer = ChunkWriter(ticket, _HOST, os.getpid())
    if not coordinator_alive(writer.folder):
        writer.close(discard=True)
        return []
    try:
        return _run_specs(ctx, specs, writer, writer.earlier())
    finally:
        writer.close()


def _run_specs(
    ctx: WorkerContext, specs: Sequence[Sequence[Any]], writer: ChunkWriter, done: dict[int, Outcome]
) -> list[Outcome]:
    out: list[Outcome] = []
    try:
        for spec in specs:
            earlier = done.get(spec[0])
            if earlier is not None:
                out.append(earlier)
                continue
            outcome = run_one(ctx, spec)
            writer.add(outcome)
            out.append(outcome)
    except KeyboardInterrupt:
        raise ChunkInterrupted(out) from None
    return out


# ---------------------------------------------------- process-pool plumbing
_CONTEXT: WorkerContext | None = None
WATCH_SECONDS = 0.25


def _watch_coordinator(parent: int) -> None:
    """Exit as soon as the process that started this worker is gone (an orphaned
    pool worker must not go on running chunks a restarted coordinator reruns)."""
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(70)


def init_worker(payload: bytes) -> None:
    """Pool initializer: unpickle the context once per worker process; ignore Ctrl-C
    (the coordinator handles it and stops the pool); exit when the parent dies."""
    import pickle
    import signal
    import threading

    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_coordinator, args=(os.getppid(),), daemon=True).start()
    _CONTEXT = pickle.loads(payload)


def pool_chunk(ticket: Ticket, specs: Sequence[Sequence[Any]]) -> list[Outcome]:
    """Task run in a pool worker."""
    assert _CONTEXT is not None, "init_worker was not called"
    return run_chunk(_CONTEXT, specs, ticket)


_DASK_CACHE: dict[int, WorkerContext] = {}


def dask_chunk(payload: bytes, ticket: Ticket, specs: Sequence[Sequence[Any]]) -> list[Outcome]:
    """Task run on a dask worker (the context is unpickled once per payload)."""
    import pickle

    key = hash(payload)
    ctx = _DASK_CACHE.get(key)
    if ctx is None:
        _DASK_CACHE.clear()
        ctx = _DASK_CACHE[key] = pickle.loads(payload)
    return run_chunk(ctx, specs, ticket)
