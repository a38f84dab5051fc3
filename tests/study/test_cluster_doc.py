"""docs/cluster.md's one-machine recipe runs as written: a real ``dask scheduler``, a real
``dask worker`` with two processes, ``neuroloom run --backend dask --address`` and
``neuroloom status``, in a fresh folder (the port is a free one instead of 8786).

Blocks of the page: ``<!-- cluster: file NAME -->`` is written to NAME,
``<!-- cluster: background -->`` starts a long-running command, ``<!-- cluster:
skip (why) -->`` needs machines the test does not have; every other ``bash``
block runs, line by line, and must succeed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "cluster.md"
BLOCK = re.compile(r"(?:<!-- cluster: (\w+) ?([^\n]*?) ?-->\n)?```(\w*)\n(.*?)```", re.S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def blocks() -> list[tuple[str, str, str, str]]:
    """(directive, argument, language, body) of every fenced block of the page."""
    return [(m[1] or "", m[2] or "", m[3], m[4]) for m in BLOCK.finditer(DOC.read_text())]


def test_every_block_is_run_or_says_why_not() -> None:
    found = blocks()
    assert sum(d == "background" for d, *_ in found) == 2
    for directive, argument, lang, body in found:
        if directive == "skip":
            assert argument.startswith("(") and len(argument) > 10, body
        elif lang in ("python", "bash") and directive not in ("file", "background"):
            assert lang == "bash", f"a python block of docs/cluster.md must run or say why not: {body}"


@pytest.mark.slow
def test_the_one_machine_recipe_runs(tmp_path: Path) -> None:
    port = str(free_port())
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    background: list[subprocess.Popen[bytes]] = []
    outputs: list[str] = []
    try:
        for directive, argument, lang, body in blocks():
            text = body.replace("8786", port)
            if directive == "file":
                (tmp_path / argument).write_text(text)
            elif directive == "background":
                log = open(tmp_path / f"background{len(background)}.log", "wb")  # noqa: SIM115
                background.append(
                    subprocess.Popen(
                        shlex.split(text),
                        cwd=tmp_path,
                        env=env,
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )
            elif directive != "skip" and lang == "bash":
                for line in text.strip().splitlines():
                    if line.startswith("neuroloom run"):
                        wait_for_workers(f"tcp://127.0.0.1:{port}", 2)
                    done = subprocess.run(
                        line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
                    )
                    assert done.returncode == 0, (line, done.stdout, done.stderr)
                    outputs.append(done.stdout)
    finally:
        for proc in background:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in background:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    assert "squares: 4 runs: 4 done, 0 failed, 0 pending" in outputs[-1], outputs[-1]
    import neuroloom as nl

    values = nl.Study(tmp_path / "squares").results("return")
    assert sorted(values["return"]) == [0.0, 1.0, 4.0, 9.0]


def wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 60
    while True:
        try:
            with Client(address, timeout="10s") as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(n, timeout=60)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
