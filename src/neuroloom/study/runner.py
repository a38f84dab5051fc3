"""The coordinating loop: send pending runs to a backend, record what comes back.

The coordinator is the only writer of the catalog. It records finished runs in
batches (one transaction per batch, at least once a second), so a SIGKILL loses
at most the last second of results, which are simply run again; a run is never
recorded twice because a run's row is updated in place. A worker that dies
takes its chunk with it: those runs are rerun one at a time, and a run that
kills its worker when alone is marked failed.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neuroloom.study.backends import Backend, WorkerLostError
from neuroloom.study.run import run_name
from neuroloom.study.worker import ChunkInterrupted, Outcome

if TYPE_CHECKING:
    from neuroloom.study.catalog import Catalog

FLUSH_SECONDS = 1.0
FLUSH_RUNS = 5000


@dataclass
class RunReport:
    """What one ``study.run(...)`` call did."""

    done: int = 0
    failed: int = 0
    pending: int = 0
    seconds: float = 0.0
    rounds: int = 0
    interrupted: bool = False
    failures: list[str] = field(default_factory=list)
    first_error: str | None = None

    def __str__(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        return (
            f"{self.done} runs done, {self.failed} failed, {self.pending} pending "
            f"in {self.seconds:.1f} s ({rate:.0f} runs/s, {self.rounds} round(s))"
        )


class Driver:
    """Runs one batch of pending specs on a started backend and records outcomes."""

    def __init__(
        self,
        backend: Backend,
        catalog: Catalog,
        session: int,
        report: RunReport,
        chunk_size: int | None,
        progress: bool,
        on_recorded: Callable[[Sequence[Outcome]], None] | None = None,
    ) -> None:
        self.backend = backend
        self.on_recorded = on_recorded
        self.catalog = catalog
        self.session = session
        self.report = report
        self.chunk_size = chunk_size
        self.progress = progress
        self.buffer: list[Outcome] = []
        self.last_flush = time.monotonic()
        self.bar: Any = None
        self.total = 0
        self.t0 = time.time()
        self.finished = 0

    # ------------------------------------------------------------ records
    def flush(self) -> None:
        if self.buffer:
            self.catalog.record(self.buffer, self.session)
            if self.on_recorded is not None:
                self.on_recorded(self.buffer)
            self.buffer = []
        self.last_flush = time.monotonic()
        elapsed = max(time.time() - self.t0, 1e-9)
        rate = self.finished / elapsed
        with self.catalog.transaction():
            self.catalog.set_meta(
                "progress",
                {
                    "session": self.session,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "total": self.total,
                    "finished": self.finished,
                    "done": self.report.done,
                    "failed": self.report.failed,
                    "rate": rate,
                    "eta": (self.total - self.finished) / rate if rate > 0 else None,
                    "started": self.t0,
                    "updated": time.time(),
                },
            )
        if self.bar is not None:
            self.bar.set_postfix(done=self.report.done, failed=self.report.failed, refresh=False)

    def _take(self, outcomes: Sequence[Outcome]) -> None:
        for o in outcomes:
            if o.ok:
                self.report.done += 1
            else:
                self.report.failed += 1
                if len(self.report.failures) < 20:
                    self.report.failures.append(run_name(o.idx))
                if self.report.first_error is None:
                    self.report.first_error = o.error
        self.buffer.extend(outcomes)
        self.finished += len(outcomes)
        if self.bar is not None:
            self.bar.update(len(outcomes))
        if len(self.buffer) >= FLUSH_RUNS or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def _lost(self, spec: Sequence[Any], why: str) -> Outcome:
        now = time.time()
        text = (
            f"{run_name(spec[0])} killed the worker process running it ({why or 'worker died'}); "
            "the job may crash the interpreter, run out of memory or be killed from outside; "
            "rerun it with study.run(job, retry_failed=True)"
        )
        return Outcome(spec[0], False, now, now, socket.gethostname(), 0, text, [])

    # --------------------------------------------------------------- loop
    def drive(self, specs: Sequence[Sequence[Any]]) -> None:
        from tqdm.auto import tqdm

        backend = self.backend
        self.total += len(specs)
        size = self.chunk_size or backend.chunk_size(len(specs))
        queue = deque(specs[i : i + size] for i in range(0, len(specs), size))
        suspects: deque[Sequence[Any]] = deque()
        inflight: dict[Any, tuple[Sequence[Sequence[Any]], bool]] = {}
        needs_recover = False
        self.bar = tqdm(
            total=len(specs),
            unit="run",
            disable=not self.progress,
            smoothing=0.1,
            mininterval=0.5,
            leave=True,
        )
        try:
            while queue or suspects or inflight:
                if needs_recover and not inflight:
                    backend.recover()
                    needs_recover = False
                if not needs_recover:
                    if suspects:
                        if not inflight:
                            spec = suspects.popleft()
                            inflight[backend.submit([spec])] = ([spec], True)
                    else:
                        while queue and len(inflight) < backend.window():
                            chunk = queue.popleft()
                            inflight[backend.submit(chunk)] = (chunk, False)
                done, _ = backend.wait(inflight, timeout=0.5)
                for future in done:
                    chunk, alone = inflight.pop(future)
                    try:
                        outcomes = backend.outcome(future)
                    except WorkerLostError as exc:
                        needs_recover = True
                        if alone:
                            self._take([self._lost(chunk[0], str(exc))])
                        else:
                            suspects.extend(chunk)
                        continue
                    self._take(outcomes)
                if not done and time.monotonic() - self.last_flush >= FLUSH_SECONDS:
                    self.flush()
        except ChunkInterrupted as stop:  # serial backend: keep the runs that finished
            self._take(stop.finished)
            raise
        finally:
            self.flush()
            self.bar.close()
            self.bar = None


def run_rounds(
    next_specs: Callable[[bool], list[tuple[Any, ...]]],
    start_backend: Callable[[], Backend],
    catalog: Catalog,
    session: int,
    report: RunReport,
    *,
    retry_failed: bool,
    chunk_size: int | None,
    progress: bool,
    then: Callable[[], None] | None,
    max_rounds: int,
    on_recorded: Callable[[Sequence[Outcome]], None] | None = None,
) -> None:
    """Run pending runs, call ``then``, and repeat while ``then`` adds runs."""
    backend: Backend | None = None
    interrupted = False
    try:
        for _ in range(max_rounds):
            specs = next_specs(retry_failed)
            retry_failed = False
            if specs:
                backend = start_backend()
                report.rounds += 1
                Driver(backend, catalog, session, report, chunk_size, progress, on_recorded).drive(specs)
            if then is None:
                break
            before = catalog.count()
            then()
            if catalog.count() == before and not specs:
                break
            if catalog.count() == before and not next_specs(False):
                break
    except KeyboardInterrupt:
        interrupted = True
        report.interrupted = True
        raise
    finally:
        if backend is not None:
            backend.stop(cancel=interrupted)
