"""Run journals: self-checking records, torn tails, replay into the catalog, and
chunk sizes from measured run durations."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import neuroloom as nl
from neuroloom.study.journal import (
    JOURNAL_DIR,
    ChunkWriter,
    SessionJournal,
    coordinator_alive,
    decode,
    encode,
    read_chunk_file,
)
from neuroloom.study.outcome import Outcome
from neuroloom.study.run import Run
from neuroloom.study.runner import CHUNK_SECONDS, ChunkSizer


def outcome(idx: int, seconds: float = 0.01) -> Outcome:
    return Outcome(idx, True, 100.0, 100.0 + seconds, "h", 1, None, [("return", "v", idx * 1.5)])


def test_torn_or_damaged_tail_is_ignored() -> None:
    data = b"".join(encode([i, "x" * i]) for i in range(5))
    assert [r[0] for r in decode(data)] == [0, 1, 2, 3, 4]
    for cut in range(1, 12):  # a record torn anywhere is dropped with what follows
        assert [r[0] for r in decode(data[:-cut])] == [0, 1, 2, 3]
    flipped = bytearray(data)
    flipped[len(encode([0, ""])) + 10] ^= 0xFF  # a byte of record 1's payload
    assert [r[0] for r in decode(bytes(flipped))] == [0]
    assert decode(b"") == [] and decode(b"\xff" * 7) == []


def test_chunk_file_and_attempts(tmp_path: Path) -> None:
    journal = SessionJournal(tmp_path, 3)
    assert coordinator_alive(journal.folder)
    writer = ChunkWriter(journal.ticket(7), socket.gethostname(), os.getpid())
    for i in (10, 11):
        writer.add(outcome(i))
    with open(writer.path, "ab") as fh:
        fh.write(encode([12, True, 1.0, 2.0, None, []])[:-3])  # killed mid-write
    writer.close()
    head, found = read_chunk_file(writer.path)
    assert head["session"] == 3 and head["chunk"] == 7 and head["pid"] == os.getpid()
    assert [o.idx for o in found] == [10, 11]
    assert found[0] == outcome(10)._replace(host=socket.gethostname(), pid=os.getpid())
    retry = ChunkWriter(journal.ticket(7), "other", 2)  # a second attempt of the same chunk
    assert retry.path.name.endswith(".1.log") and sorted(retry.earlier()) == [10, 11]
    retry.add(outcome(13))
    retry.close()
    started, salvaged = journal.salvage(7)
    assert started and sorted(o.idx for o in salvaged) == [10, 11, 13]
    assert journal.salvage(8) == (False, [])
    journal.resolve(7)
    journal.close()
    assert not coordinator_alive(journal.folder)
    assert not journal.folder.exists()  # every chunk resolved: nothing left


def test_restarted_coordinator_replays_journals(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s", seed=2)
    study.params.add("x", 0)
    study.explore(nl.grid(x=list(range(6))))
    session = study.catalog.begin_session("processes", socket.gethostname(), 1, {})
    journal = SessionJournal(study.path, session)
    writer = ChunkWriter(journal.ticket(0), "w", 99)
    for i in (0, 1, 2):
        writer.add(Outcome(i, True, 1.0, 2.0, "", 0, None, [("return", "v", i * 10)]))
    writer.close()
    os.close(journal.alive_fd)  # the coordinator died: nothing recorded, files left
    ran: list[int] = []

    def job(run: Run) -> int:
        ran.append(run.index)
        return int(run.params.x) * 10

    report = study.run(job, backend="serial", progress=False)
    assert sorted(ran) == [3, 4, 5] and report.done == 3
    assert study.results("return")["return"].tolist() == [0, 10, 20, 30, 40, 50]
    runs = study.runs
    assert runs.loc[0, "session"] == session and runs.loc[0, "host"] == "w" and runs.loc[0, "pid"] == 99
    assert not list((study.path / JOURNAL_DIR).glob("session_*"))  # replayed, then its own removed


def test_chunk_sizes_follow_run_duration() -> None:
    sizer = ChunkSizer(None, cap=1000)
    assert sizer.size() == 1  # nothing measured yet
    sizer.observe([outcome(i, 0.1) for i in range(3)])
    assert sizer.size() == round(CHUNK_SECONDS / 0.1)
    sizer.observe([outcome(i, 0.1) for i in range(3)])
    fast = ChunkSizer(None, cap=40)
    fast.observe([outcome(i, 1e-6) for i in range(5)])
    assert fast.size() == 40  # bounded by the balance cap
    slow = ChunkSizer(None, cap=40)
    slow.observe([outcome(0, 30.0)])
    assert slow.size() == 1
    assert ChunkSizer(5, cap=40).size() == 5
