"""The side file jobs of the crash tests append to (``O_APPEND``), and its analysis.

A job appends ``S <run> <pid>`` when it starts and ``E <run> <pid> <value>``
when it returns. A run counts as *finished and durable* once its worker started
another run (the runner journals a run before its worker starts the next), so
executing such a run again is a failure; a run executing at a kill may run
again, at most once per killed (or torn-down) worker process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def log_start(log: str, index: int) -> None:
    """Append ``S <run> <pid>``."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"S {index} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


def log_end(log: str, index: int, value: int) -> None:
    """Append ``E <run> <pid> <value>``."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"E {index} {os.getpid()} {value}\n".encode())
    finally:
        os.close(fd)


@dataclass
class Counts:
    kills: dict[str, int] = field(default_factory=lambda: {"coordinator": 0, "worker": 0, "all": 0})
    coordinators: int = 0
    executions: int = 0
    rerun_unfinished: int = 0
    rerun_finished: int = 0
    rerun_not_last: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())


def analyse(log: Path, counts: Counts) -> dict[int, set[int]]:
    """Count re-executions in the side file; return the values each run returned."""
    last_start: dict[int, int] = {}  # pid -> line of its last S
    started: dict[int, tuple[int, int]] = {}  # run -> (pid, line) of its last S
    finished: dict[int, list[tuple[int, int]]] = {}  # run -> [(pid, line of E)]
    values: dict[int, set[int]] = {}
    for n, line in enumerate(log.read_text().splitlines()):
        kind, run_s, pid_s, *rest = line.split()
        run, pid = int(run_s), int(pid_s)
        if kind == "E":
            finished.setdefault(run, []).append((pid, n))
            values.setdefault(run, set()).add(int(rest[0]))
            continue
        counts.executions += 1
        if run in started:
            before_pid, before_line = started[run]
            if any(last_start[q] > e for q, e in finished.get(run, [])):
                counts.rerun_finished += 1  # its worker had moved on: it was durable
            elif last_start[before_pid] != before_line:
                counts.rerun_not_last += 1  # not the run its worker was executing
            else:
                counts.rerun_unfinished += 1
        started[run] = (pid, n)
        last_start[pid] = n
    return values
