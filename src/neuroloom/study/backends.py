"""Where runs execute: ``serial`` (this process), ``processes`` (a local pool)
or ``dask`` (a ``distributed.Client``: a LocalCluster, or any scheduler).

Every backend takes chunks of run specs (with the :class:`~neuroloom.study.journal.Ticket`
naming the chunk's journal file) and hands back lists of
:class:`~neuroloom.study.outcome.Outcome`. A chunk whose worker died raises
:class:`WorkerLostError` from :meth:`Backend.outcome`; the runner then keeps the
runs the chunk's journal shows finished and reruns the one that was executing
alone, to find a run that kills workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import CancelledError
from typing import Any

from neuroloom.errors import StudyError
from neuroloom.study.journal import Ticket
from neuroloom.study.outcome import Outcome
from neuroloom.study.worker import WorkerContext, run_chunk

BACKENDS = ("serial", "processes", "dask")


class WorkerLostError(Exception):
    """The worker running a chunk died (killed, crashed, out of memory)."""


class _Done:
    """A finished 'future' of the serial backend."""

    def __init__(self, value: list[Outcome]) -> None:
        self.value = value


class Backend:
    """Interface of a backend (the serial backend is the reference)."""

    name = "serial"
    workers = 1

    def start(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def chunk_size(self, n_runs: int) -> int:
        """The most runs per chunk (the runner aims at about a second of work)."""
        return max(1, n_runs)

    def window(self) -> int:
        """How many chunks may be in flight at once."""
        return 1

    def submit(self, specs: Sequence[Sequence[Any]], ticket: Ticket) -> Any:
        return _Done(run_chunk(self.ctx, specs, ticket))

    def wait(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        return set(futures), set()

    def outcome(self, future: Any) -> list[Outcome]:
        value: list[Outcome] = future.value
        return value

    def recover(self) -> None:
        """Make the backend usable again after a worker died."""

    def stop(self, *, cancel: bool = False) -> None:
        """Release workers (``cancel``: stop running tasks now)."""


class ProcessBackend(Backend):
    """A local process pool (``concurrent.futures.ProcessPoolExecutor``)."""

    name = "processes"

    MAX_FRUITLESS_RESTARTS = 3
    """Spawned pools that may break in a row without finishing a chunk before the run stops."""

    def __init__(self, workers: int | None = None, mp_context: str | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.mp_context = mp_context
        self.pool: Any = None
        self._fruitless = 0  # pool restarts since the last finished chunk

    def start(self, ctx: WorkerContext) -> None:
        self.ctx = ctx
        self.payload = pickle_context(ctx)
        self._new_pool()

    def _new_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from neuroloom.study.worker import init_worker

        context = multiprocessing.get_context(self.mp_context)
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=init_worker, initargs=(self.payload,)
        )

    def chunk_size(self, n_runs: int) -> int:
        # four chunks per worker at most (the runner aims at a second of work per chunk)
        return max(1, math.ceil(n_runs / (self.workers * 4)))

    def window(self) -> int:
        return self.workers * 3

    def submit(self, specs: Sequence[Sequence[Any]], ticket: Ticket) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        from neuroloom.study.worker import pool_chunk

        try:
            return self.pool.submit(pool_chunk, ticket, list(specs))
        except BrokenProcessPool as exc:  # a worker died since the last wait
            raise WorkerLostError(str(exc)) from None

    def wait(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as cf_wait

        done, not_done = cf_wait(list(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def outcome(self, future: Any) -> list[Outcome]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            value: list[Outcome] = future.result()
        except BrokenProcessPool as exc:
            raise WorkerLostError(str(exc)) from None
        self._fruitless = 0
        return value

    def recover(self) -> None:
        self._kill()
        import multiprocessing

        spawned = multiprocessing.get_context(self.mp_context).get_start_method() != "fork"
        self._fruitless += 1
        if spawned and self._fruitless >= self.MAX_FRUITLESS_RESTARTS:
            # spawned workers import the script: without a main guard each one dies at start
            raise StudyError(
                f"the worker processes died {self._fruitless} times in a row before finishing any run "
                "(their errors are printed above). In a script, put the study code (params, explore, "
                'study.run) under  if __name__ == "__main__":  (each spawned worker imports the script '
                "again); "
                'otherwise a job kills its process (memory, a crash in compiled code): try backend="serial"'
            )
        self._new_pool()

    def _kill(self) -> None:
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
            proc.join(5)

    def stop(self, *, cancel: bool = False) -> None:
        if self.pool is None:
            return
        if cancel:
            self._kill()
        else:
            self.pool.shutdown(wait=True)
        self.pool = None


class DaskBackend(Backend):
    """A ``distributed.Client``: a LocalCluster (``workers`` processes, one thread
    each) when ``address`` is None, else the scheduler at ``address``; or a Client
    the caller already has (``client=``)."""

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None, client: Any = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.address = address
        self.client = client
        self._own_client = client is None
        self._cluster: Any = None

    def start(self, ctx: WorkerContext) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise StudyError(
                "backend='dask' needs the distributed package: pip install 'neuroloom[dask]'"
            ) from None
        self.ctx = ctx
        if self.client is None:
            if self.address is None:
                try:
                    self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                        n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                except RuntimeError as exc:  # "Nanny failed to start": the worker's error is on stderr
                    raise StudyError(
                        f"the dask workers failed to start ({exc}); their error is printed above. In a "
                        "script, put the study code (params, explore, study.run) under  if __name__ == "
                        '"__main__":  (each worker imports the script again)'
                    ) from None
                self.client = Client(self._cluster)  # type: ignore[no-untyped-call]
            else:
                try:
                    self.client = Client(self.address, timeout="20s")  # type: ignore[no-untyped-call]
                except OSError as exc:
                    raise StudyError(f"cannot reach the dask scheduler at {self.address!r}: {exc}") from None
        info = self.client.scheduler_info()
        self.workers = max(1, len(info.get("workers", {})) or self.workers)
        # sent with every chunk (chunks hold about a second of work), not scattered:
        # scattered data dies with the workers holding it and takes its tasks along
        self.payload = pickle_context(ctx)

    def chunk_size(self, n_runs: int) -> int:
        return max(1, math.ceil(n_runs / (self.workers * 4)))

    def window(self) -> int:
        return self.workers * 3

    def submit(self, specs: Sequence[Sequence[Any]], ticket: Ticket) -> Any:
        from neuroloom.study.worker import dask_chunk

        return self.client.submit(dask_chunk, self.payload, ticket, list(specs), pure=False)

    def wait(self, futures: Iterable[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        from distributed import wait as dask_wait

        futures = list(futures)
        try:
            done, not_done = dask_wait(  # type: ignore[no-untyped-call]
                futures, timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return set(), set(futures)
        except CancelledError:  # some were cancelled (e.g. the scheduler restarted)
            done = {f for f in futures if f.status != "pending"}
            return done, set(futures) - done
        return set(done), set(not_done)

    def outcome(self, future: Any) -> list[Outcome]:
        from distributed.scheduler import KilledWorker

        try:
            value: list[Outcome] = future.result()
        except KilledWorker as exc:
            raise WorkerLostError(str(exc)) from None
        except CancelledError as exc:  # e.g. the scheduler restarted
            raise WorkerLostError(f"task cancelled: {exc}") from None
        future.release()  # else dask recomputes it if the worker holding it dies
        return value

    def stop(self, *, cancel: bool = False) -> None:
        if self.client is None:
            return
        if self._own_client:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()
            self.client = None


def pickle_context(ctx: WorkerContext) -> bytes:
    """The job and its context as bytes for worker processes (cloudpickle)."""
    import cloudpickle

    try:
        data: bytes = cloudpickle.dumps(ctx)
    except Exception as exc:
        raise StudyError(
            f"the job {getattr(ctx.job, '__qualname__', ctx.job)!r} cannot be sent to worker processes: "
            f"{type(exc).__name__}: {exc}; a job must not capture the Study, open files or connections "
            "(read what it needs from run.params, or use backend='serial')"
        ) from None
    return data


def make_backend(backend: str | Backend, workers: int | None, address: str | None, client: Any) -> Backend:
    """Build the backend named ``backend`` (or return a Backend instance as is)."""
    if isinstance(backend, Backend):
        return backend
    if backend == "serial":
        return Backend()
    if backend == "processes":
        return ProcessBackend(workers)
    if backend == "dask":
        return DaskBackend(workers, address, client)
    raise StudyError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
