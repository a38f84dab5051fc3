"""The coordinating loop: send pending runs to a backend, record what comes back.

The coordinator is the only writer of the catalog. Workers journal every
finished run before starting the next (:mod:`neuroloom.study.journal`); the
coordinator records outcomes in batches (one transaction at least once a
second) and deletes the session's journal files when it ends. A
restarted coordinator first replays the journals of earlier sessions, so after
a SIGKILL of anything only the runs that were executing are run again. A worker
that dies takes only its executing run with it: the runs its chunk journaled
are kept, the executing one is rerun alone, and a run that kills its worker
when alone is marked failed.

Chunks are sized from the measured run duration (about :data:`CHUNK_SECONDS` of
work, at most the backend's balance bound), starting from one run per chunk.
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
from neuroloom.study.journal import SessionJournal, recover
from neuroloom.study.outcome import Outcome
from neuroloom.study.run import run_name
from neuroloom.study.worker import ChunkInterrupted

if TYPE_CHECKING:
    from neuroloom.study.catalog import Catalog

FLUSH_SECONDS = 1.0
FLUSH_RUNS = 5000
CHUNK_SECONDS = 1.0


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
        speed = (
            f"{rate:.0f} runs/s"
            if rate >= 10
            else f"{rate:.2g} runs/s"
            if rate >= 1 or not rate
            else (f"{self.seconds / self.done:.3g} s/run")
        )
        return (
            f"{self.done} runs done, {self.failed} failed, {self.pending} pending "
            f"in {self.seconds:.1f} s ({speed}, {self.rounds} round(s))"
        )


@dataclass
class Chunk:
    """A chunk in flight: its number (journal file), specs and whether it is a
    suspect run sent alone."""

    number: int
    specs: Sequence[Sequence[Any]]
    alone: bool


class ChunkSizer:
    """Runs per chunk: about :data:`CHUNK_SECONDS` of measured work, within ``cap``."""

    def __init__(self, fixed: int | None, cap: int) -> None:
        self.fixed = fixed
        self.cap = max(1, cap)
        self.seconds = 0.0
        self.runs = 0

    def observe(self, outcomes: Sequence[Outcome]) -> None:
        for o in outcomes:
            self.seconds += max(o.end - o.start, 0.0)
        self.runs += len(outcomes)

    def size(self) -> int:
        if self.fixed:
            return self.fixed
        if not self.runs:
            return 1
        per_run = max(self.seconds / self.runs, 1e-6)
        return max(1, min(self.cap, round(CHUNK_SECONDS / per_run)))


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
        on_recorded: Callable[[Sequence[Outcome]], None] | None,
        journal: SessionJournal,
    ) -> None:
        self.backend = backend
        self.on_recorded = on_recorded
        self.catalog = catalog
        self.session = session
        self.report = report
        self.chunk_size = chunk_size
        self.progress = progress
        self.journal = journal
        self.buffer: list[Outcome] = []
        self.last_flush = time.monotonic()
        self.bar: Any = None
        self.total = 0
        self.t0 = time.time()
        self.finished = 0
        self.chunks = 0

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
    def _submit(self, specs: Sequence[Sequence[Any]], alone: bool) -> tuple[Any, Chunk]:
        chunk = Chunk(self.chunks, specs, alone)
        self.chunks += 1
        return self.backend.submit(specs, self.journal.ticket(chunk.number)), chunk

    def _fill(
        self,
        inflight: dict[Any, Chunk],
        todo: deque[Sequence[Any]],
        suspects: deque[Sequence[Any]],
        sizer: ChunkSizer,
    ) -> bool:
        """Submit chunks up to the backend's window (a suspect runs alone, with
        nothing else in flight). False when the backend broke while submitting:
        the chunk goes back to the queue and the backend must recover."""
        while True:
            if suspects:
                if inflight:
                    return True
                specs, alone = [suspects.popleft()], True
            elif todo and len(inflight) < self.backend.window():
                specs, alone = [todo.popleft() for _ in range(min(sizer.size(), len(todo)))], False
            else:
                return True
            try:
                future, chunk = self._submit(specs, alone)
            except WorkerLostError:
                (suspects if alone else todo).extendleft(reversed(specs))
                return False
            inflight[future] = chunk
            if alone:
                return True

    def _finished(self, chunk: Chunk, outcomes: Sequence[Outcome], todo: deque[Sequence[Any]]) -> None:
        """Take a chunk's outcomes; runs it did not run (its coordinator check
        failed) go back to the queue."""
        self._take(outcomes)
        if len(outcomes) < len(chunk.specs):
            seen = {o.idx for o in outcomes}
            todo.extendleft(reversed([s for s in chunk.specs if s[0] not in seen]))
        self.journal.resolve(chunk.number)

    def _worker_lost(
        self, chunk: Chunk, why: str, todo: deque[Sequence[Any]], suspects: deque[Sequence[Any]]
    ) -> None:
        """Keep what the chunk journaled; its executing run becomes a suspect."""
        started, salvaged = self.journal.salvage(chunk.number)
        wanted = {s[0] for s in chunk.specs}
        salvaged = [o for o in salvaged if o.idx in wanted]
        self._take(salvaged)
        self.journal.resolve(chunk.number)
        seen = {o.idx for o in salvaged}
        remaining = [s for s in chunk.specs if s[0] not in seen]
        if not remaining:
            return
        if chunk.alone:
            self._take([self._lost(remaining[0], why)])
        elif started:
            suspects.append(remaining[0])
            todo.extendleft(reversed(remaining[1:]))
        else:
            todo.extendleft(reversed(remaining))

    def drive(self, specs: Sequence[Sequence[Any]]) -> None:
        from tqdm.auto import tqdm

        backend = self.backend
        self.total += len(specs)
        sizer = ChunkSizer(self.chunk_size, backend.chunk_size(len(specs)))
        todo: deque[Sequence[Any]] = deque(specs)
        suspects: deque[Sequence[Any]] = deque()
        inflight: dict[Any, Chunk] = {}
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
            while todo or suspects or inflight:
                if needs_recover and not inflight:
                    backend.recover()
                    needs_recover = False
                if not needs_recover:
                    needs_recover = not self._fill(inflight, todo, suspects, sizer)
                done, _ = backend.wait(inflight, timeout=0.5)
                for future in done:
                    chunk = inflight.pop(future)
                    try:
                        outcomes = backend.outcome(future)
                    except WorkerLostError as exc:
                        needs_recover = True
                        self._worker_lost(chunk, str(exc), todo, suspects)
                        continue
                    sizer.observe(outcomes)
                    self._finished(chunk, outcomes, todo)
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
    """Replay earlier sessions' journals, then run pending runs, call ``then``,
    and repeat while ``then`` adds runs."""
    backend: Backend | None = None
    interrupted = False
    study_path = catalog.file.parent
    recovered = recover(study_path, catalog)
    if recovered and on_recorded is not None:
        on_recorded(recovered)
    journal = SessionJournal(study_path, session)
    try:
        for _ in range(max_rounds):
            specs = next_specs(retry_failed)
            retry_failed = False
            if specs:
                backend = start_backend()
                report.rounds += 1
                Driver(backend, catalog, session, report, chunk_size, progress, on_recorded, journal).drive(
                    specs
                )
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
        journal.close()
