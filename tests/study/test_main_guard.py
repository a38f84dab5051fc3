"""A script without ``if __name__ == "__main__":`` gets an error that says so (issue 13).

Spawned workers (dask's, and ``processes`` with the spawn start method, the
default on macOS and Windows) import the script again. Before, the workers
died with "the parameter tree is locked" or "study is in use" and a
``processes`` run restarted its pool forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import neuroloom as nl
from neuroloom.study.backends import ProcessBackend

def job(run):
    return run.params.x * 2

{guard}study = nl.Study("s", seed=1)
{guard}if "x" not in study.params:
{guard}    study.params.add("x", 1.0)
{guard}study.explore(nl.grid(x=[1.0, 2.0]))
{guard}study.run(job, backend={backend}, progress=False)
{guard}print("done", sorted(study.results("return")["return"]))
"""

BACKENDS = {"dask": '"dask", workers=1', "spawn": 'ProcessBackend(1, mp_context="spawn")'}


def run_script(folder: Path, backend: str, guard: bool) -> subprocess.CompletedProcess[str]:
    text = SCRIPT.format(backend=BACKENDS[backend], guard="    " if guard else "")
    if guard:  # the job stays at the top level (workers import it); the study code goes under the guard
        head, _, tail = text.partition("    study = ")
        text = head + 'if __name__ == "__main__":\n    study = ' + tail
    (folder / "script.py").write_text(text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "script.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_script_without_the_main_guard_is_told_to_add_it(tmp_path: Path, backend: str) -> None:
    done = run_script(tmp_path, backend, guard=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("neuroloom.errors.StudyError") and 'if __name__ == "__main__":' in last, last
    assert "parameter tree is locked because" not in done.stderr
    fixed = run_script(tmp_path, backend, guard=True)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert "done [2.0, 4.0]" in fixed.stdout
