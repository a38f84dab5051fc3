"""Run journals: every finished run is on disk before its worker starts the next.

A coordinating session owns ``<study>/.journal/session_<n>-<token>/``. Each chunk
of runs a worker executes gets its own append-only file there,
``c<chunk>.<attempt>.log`` (a dask retry of the same chunk is a new attempt),
which the worker holds under an exclusive ``flock`` while it runs the chunk.
After each run the worker appends one record; a record is ``<length> <crc32>``
(little-endian ``uint32`` each) followed by the payload, so a record torn by a
kill is detected and ignored with everything after it. The payload is
``marshal`` data (ten times faster than JSON, which matters for trivial jobs);
a decoded record must consist of None, bool, int, float, str, list, tuple and
dict only, or it is treated as damaged. The first record of a
file names the session, chunk, host and pid.

Durability: a record is handed to the kernel (``write``) before the next run
starts, so it survives the death of the worker or of the coordinator. It is
also ``fsync``'ed (file, and its folder once) before the next run starts when
the worker's last ``fsync`` is :data:`SYNC_SECONDS` old or more (or 20 times
what that ``fsync`` took, on a slow disk): every record of a run longer than
that is flushed to disk before the next run, and a power cut loses at most
that much finished work per worker, while trivial jobs do not pay one disk
flush (0.2-5 ms) per run or per chunk.

The coordinator takes outcomes from finished chunks as before and deletes the
chunks' files when the session ends (its outcomes committed to the catalog). When a worker
dies it reads the chunk's files (waiting for the ``flock``, so a writer that is
still alive finishes first) to keep the runs that finished. A restarted
coordinator replays the files of earlier sessions into the catalog before it
schedules anything (:func:`recover`). The session holds an exclusive ``flock``
on ``coordinator.alive``; a worker that finds it free when it opens a chunk
(its coordinator died) runs nothing, so no run starts that a restarted
coordinator would also start.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import secrets
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from neuroloom._io import held_files
from neuroloom._io.atomic import fsync_dir
from neuroloom._io.names import ALIVE_FILE
from neuroloom._io.names import JOURNAL_DIR as JOURNAL_DIR  # re-exported
from neuroloom.errors import StudyLockedError
from neuroloom.study.lock import held_by_someone
from neuroloom.study.outcome import Outcome

if TYPE_CHECKING:
    from neuroloom.study.catalog import Catalog

SESSION_PREFIX = "session_"
DONE_PREFIX = "done-"
SYNC_SECONDS = 0.05
WAIT_SECONDS = 120.0
_HEAD = struct.Struct("<II")
_MAX_RECORD = 1 << 30
_MARSHAL_VERSION = 4
_LAST_SYNC = 0.0  # monotonic time of this process's last journal fsync
_SYNC_COST = 0.0  # how long it took


class Ticket(NamedTuple):
    """Where a worker journals one chunk (sent with the chunk)."""

    folder: str
    session: int
    chunk: int


def chunk_prefix(chunk: int) -> str:
    """File name prefix of every attempt of chunk ``chunk``."""
    return f"c{chunk:08d}."


def encode(value: Any) -> bytes:
    """One framed, self-checking record (``value`` made of None, bool, int, float,
    str, list, tuple and dict only)."""
    payload = marshal.dumps(value, _MARSHAL_VERSION)
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


_PLAIN = (type(None), bool, int, float, str)


def _plain(value: Any) -> Any:
    """``value`` if it is made of plain data only (a marshal payload can hold code
    objects and other types a journal never writes), else ValueError."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        for item in value:
            _plain(item)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            _plain(key)
            _plain(item)
        return value
    raise ValueError(f"unexpected {type(value).__name__} in a journal record")


def decode(data: bytes) -> list[Any]:
    """The records of ``data`` up to the first torn or damaged one."""
    out: list[Any] = []
    pos = 0
    size = _HEAD.size
    while pos + size <= len(data):
        length, crc = _HEAD.unpack_from(data, pos)
        end = pos + size + length
        if length > _MAX_RECORD or end > len(data):
            break
        payload = data[pos + size : end]
        if zlib.crc32(payload) != crc:
            break
        try:
            out.append(_plain(marshal.loads(payload)))
        except (ValueError, EOFError, TypeError):
            break
        pos = end
    return out


def read_chunk_file(path: Path) -> tuple[dict[str, Any], list[Outcome]]:
    """The header and outcomes recorded in one chunk file (empty if unreadable)."""
    try:
        records = decode(path.read_bytes())
    except OSError:
        return {}, []
    if not records or not isinstance(records[0], dict):
        return {}, []
    head = records[0]
    host, pid = str(head.get("host", "")), int(head.get("pid", 0))
    outcomes = []
    for rec in records[1:]:
        try:
            idx, ok, start, end, error, results = rec
            entries = [(str(n), str(k), v) for n, k, v in results]
            outcome = Outcome(int(idx), bool(ok), float(start), float(end), host, pid, error, entries)
        except (TypeError, ValueError):
            break
        outcomes.append(outcome)
    return head, outcomes


def _lock_wait(fd: int, path: Path, timeout: float) -> None:
    """Take an exclusive flock on ``fd``, waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                head, _ = read_chunk_file(path)
                raise StudyLockedError(
                    f"{path} is still being written by process {head.get('pid')} on host "
                    f"{head.get('host')!r} (a worker of an earlier or failing session) after "
                    f"{timeout:.0f} s; wait for that process to end, or stop it, and try again"
                ) from None
            time.sleep(0.02)


def read_settled(path: Path, timeout: float = WAIT_SECONDS) -> tuple[dict[str, Any], list[Outcome]]:
    """Read a chunk file once no worker writes it any more."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return {}, []
    try:
        _lock_wait(fd, path, timeout)
        return read_chunk_file(path)
    finally:
        os.close(fd)


def coordinator_alive(folder: Path) -> bool:
    """Whether the session owning ``folder`` still runs (its coordinator holds the flock)."""
    return held_by_someone(folder / ALIVE_FILE)


class ChunkWriter:
    """The worker's side: the journal file of one attempt of one chunk."""

    def __init__(self, ticket: Ticket, host: str, pid: int) -> None:
        self.folder = Path(ticket.folder)
        prefix = chunk_prefix(ticket.chunk)
        attempt = 0
        while True:
            self.path = self.folder / f"{prefix}{attempt}.log"
            try:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
                break
            except FileExistsError:
                attempt += 1
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.attempt = attempt
        self.prefix = prefix
        head = {
            "session": ticket.session,
            "chunk": ticket.chunk,
            "attempt": attempt,
            "host": host,
            "pid": pid,
        }
        os.write(self.fd, encode(head))
        self.dir_synced = False

    def earlier(self) -> dict[int, Outcome]:
        """Outcomes recorded by earlier attempts of this chunk (a retried dask task)."""
        found: dict[int, Outcome] = {}
        for attempt in range(self.attempt):
            _, outcomes = read_chunk_file(self.folder / f"{self.prefix}{attempt}.log")
            for o in outcomes:
                found.setdefault(o.idx, o)
        return found

    def add(self, o: Outcome) -> None:
        os.write(self.fd, encode([o.idx, o.ok, o.start, o.end, o.error, o.results]))
        now = time.monotonic()
        if now - _LAST_SYNC >= max(SYNC_SECONDS, 20 * _SYNC_COST):
            self.sync(now)

    def sync(self, now: float) -> None:
        global _LAST_SYNC, _SYNC_COST
        os.fsync(self.fd)
        if not self.dir_synced:
            fsync_dir(self.folder)
            self.dir_synced = True
        _LAST_SYNC = time.monotonic()
        _SYNC_COST = _LAST_SYNC - now

    def close(self, *, discard: bool = False) -> None:
        if discard:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)


class SessionJournal:
    """The coordinator's side: the journal folder of one session."""

    def __init__(self, study_path: Path, session: int) -> None:
        root = study_path / JOURNAL_DIR
        root.mkdir(exist_ok=True)
        self.folder = root / f"{SESSION_PREFIX}{session:06d}-{secrets.token_hex(4)}"
        self.folder.mkdir()
        self.session = session
        self.alive_fd = os.open(self.folder / ALIVE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.alive_fd, fcntl.LOCK_EX)
        held_files.hold(self.alive_fd)
        fsync_dir(root)
        self.resolved: set[int] = set()

    def ticket(self, chunk: int) -> Ticket:
        return Ticket(str(self.folder), self.session, chunk)

    def files(self, chunk: int) -> list[Path]:
        prefix = chunk_prefix(chunk)
        return sorted(p for p in self.folder.glob(f"{prefix}*.log"))

    def salvage(self, chunk: int) -> tuple[bool, list[Outcome]]:
        """``(started, outcomes)`` of a chunk whose worker died: whether any attempt
        began, and the runs it finished."""
        paths = self.files(chunk)
        found: dict[int, Outcome] = {}
        for path in paths:
            for o in read_settled(path)[1]:
                found.setdefault(o.idx, o)
        return bool(paths), list(found.values())

    def resolve(self, chunk: int) -> None:
        """The chunk's outcomes are taken (its files go when the session ends: a dask
        task whose finished result died with its worker may run again, and must find
        its runs there)."""
        self.resolved.add(chunk)

    def close(self) -> None:
        """End the session (outcomes committed). If every chunk is resolved, the
        folder is renamed to ``done-...`` and deleted in the background (one file
        per chunk takes a while to delete on a busy disk; what is left by an exit
        meanwhile goes at the next recovery); else only resolved chunks' files go."""
        names = [p.name for p in self.folder.iterdir() if p.name != ALIVE_FILE]
        unresolved = [n for n in names if _chunk_number(n) not in self.resolved]
        held_files.release(self.alive_fd)
        os.close(self.alive_fd)
        if unresolved:
            for name in names:
                if name not in unresolved:
                    (self.folder / name).unlink(missing_ok=True)
            return
        trash = self.folder.with_name(DONE_PREFIX + self.folder.name)
        os.rename(self.folder, trash)
        threading.Thread(target=shutil.rmtree, args=(trash, True), daemon=True).start()


def _chunk_number(name: str) -> int | None:
    number = name[1:].split(".", 1)[0]
    return int(number) if name.startswith("c") and number.isdigit() else None


def _stale_sessions(root: Path, own: Path | None) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(SESSION_PREFIX) and p != own)


def newer_than_catalog(catalog: Catalog, found: Sequence[tuple[int, Outcome]]) -> list[tuple[int, Outcome]]:
    """The ``(session, outcome)`` pairs the catalog does not hold yet: the run is
    pending, or its last recorded execution is from an earlier session."""
    states = catalog.run_states([o.idx for _, o in found])
    keep = []
    for session, o in found:
        state = states.get(o.idx)
        if state is None:
            continue
        status, recorded = state
        if status == "pending" or recorded is None or int(recorded) < session:
            keep.append((session, o))
    return keep


def recover(study_path: Path, catalog: Catalog, own: Path | None = None) -> list[Outcome]:
    """Replay the journals of earlier sessions into the catalog; return what was added.

    Called by a coordinator holding the study lock before it schedules anything.
    Waits for workers of a dead session that still write (they stop at their next
    run, or finish a chunk already begun). Files are deleted once committed.
    """
    root = study_path / JOURNAL_DIR
    if root.is_dir():
        for folder in root.glob(DONE_PREFIX + "*"):
            shutil.rmtree(folder, ignore_errors=True)  # a finished session's files
    added: list[Outcome] = []
    for folder in _stale_sessions(root, own):
        found: list[tuple[int, Outcome]] = []
        paths = sorted(folder.glob("c*.log"))
        for path in paths:
            head, outcomes = read_settled(path)
            session = int(head.get("session", 0))
            found.extend((session, o) for o in outcomes)
        best: dict[int, tuple[int, Outcome]] = {}
        for session, o in found:
            if o.idx not in best or best[o.idx][0] < session:
                best[o.idx] = (session, o)
        keep = newer_than_catalog(catalog, list(best.values()))
        by_session: dict[int, list[Outcome]] = {}
        for session, o in keep:
            by_session.setdefault(session, []).append(o)
        for session, outcomes in sorted(by_session.items()):
            catalog.record(outcomes, session)
            added.extend(outcomes)
        _remove(folder, paths)
    return added


def _remove(folder: Path, paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    for path in folder.iterdir():
        if path.name == ALIVE_FILE or path.suffix == ".log":
            path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass
