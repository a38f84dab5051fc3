"""The README's tour runs as written: its code blocks, in order, are one session in a fresh folder.

Python blocks share one namespace (one process, as if typed into one
interpreter); ``bash`` blocks run as commands in the same folder at the point
where they stand; a block preceded by ``<!-- readme: file NAME -->`` is written
to ``NAME`` instead of being run; ``<!-- readme: skip (why) -->`` marks a
``python``/``bash`` block that cannot run here (the quickstart's ``make``
commands) and must say why; blocks in other languages or without one (output
samples, TOML excerpts) are not code to run. A failure names the README line of
the block that failed. The session prints its runtime.

The sections "Coming from NEST's SONATA support" and "Coming from
in_silico_framework" use "what you have": the session folder holds
``sonata-examples`` and ``isf-examples``, links into ``../shared/corpus``, as
a user's folder would; the test fails when the corpus is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*readme:\s*(skip|file)\b\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README and what the session does with it."""

    line: int  # 0-based index of its first line of code (= the 1-based line of its fence)
    lang: str
    text: str
    action: str  # "python", "bash", "file", "skip"
    target: str = ""


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of ``text`` with the action its language and directive give it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    directive: tuple[str, str] | None = None
    while i < len(lines):
        found = DIRECTIVE.match(lines[i])
        if found:
            directive = (found.group(1), found.group(2))
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            if lines[i].strip():
                directive = None
            i += 1
            continue
        start, lang = i + 1, fence.group(1)
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = "\n".join(lines[start:end]) + "\n"
        if directive and directive[0] == "skip":
            action, target = "skip", ""
        elif directive and directive[0] == "file":
            action, target = "file", directive[1].split()[0] if directive[1] else ""
        elif lang in ("python", "bash"):
            action, target = lang, ""
        else:
            action, target = "skip", ""
        blocks.append(Block(start, lang, body, action, target))
        directive = None
        i = end + 1
    return blocks


def session_script(blocks: list[Block]) -> str:
    """One Python program that replays the blocks in order, naming the README line on failure.

    The replay sits under ``if __name__ == "__main__":`` so that worker processes
    which import the program again (spawn, dask) do not replay the session.
    """
    body = ["__readme_ns = {'__name__': '__main__'}", "__t0 = time.perf_counter()"]
    for block in blocks:
        where = f"README.md line {block.line + 1}"
        if block.action == "python":
            code = "\n" * block.line + block.text  # tracebacks name README.md and its line numbers
            compile(code, "README.md", "exec")  # a syntax error fails here, naming the line
            body.append(f"exec(compile({code!r}, 'README.md', 'exec'), __readme_ns)")
        elif block.action == "bash":
            body.append(
                f"__r = subprocess.run(['bash', '-euo', 'pipefail', '-c', {block.text!r}])\n"
                f"if __r.returncode: sys.exit('{where}: the bash block exited ' + str(__r.returncode))"
            )
        elif block.action == "file":
            body.append(f"pathlib.Path({block.target!r}).write_text({block.text!r})")
    body.append("print(f'README session: {time.perf_counter() - __t0:.1f} s', file=sys.stderr)")
    lines = ["import pathlib, subprocess, sys, time", 'if __name__ == "__main__":']
    for statement in body:
        lines += ["    " + line for line in statement.splitlines()]
    return "\n".join(lines) + "\n"


def test_directives_are_understood() -> None:
    text = "x\n<!-- readme: skip (needs make) -->\n```bash\nmake demo\n```\n<!-- readme: file a.toml -->\n"
    text += "```toml\nk = 1\n```\n```python\nprint(1)\n```\n```\nsample\n```\n"
    actions = [(b.action, b.target) for b in readme_blocks(text)]
    assert actions == [("skip", ""), ("file", "a.toml"), ("python", ""), ("skip", "")]


def test_every_skipped_code_block_says_why() -> None:
    lines = README.read_text().splitlines()
    for i, line in enumerate(lines):
        found = DIRECTIVE.match(line)
        if found and found.group(1) == "skip":
            assert found.group(2).startswith("(") and len(found.group(2)) > 10, (
                f"README line {i + 1}: say why"
            )
        if found and found.group(1) == "file":
            assert found.group(2), f"README line {i + 1}: a file directive names its file"


def test_the_session_replays_blocks_in_order_under_the_main_guard(tmp_path: Path) -> None:
    text = "```python\nx = 2\n```\n```bash\necho hi > out.txt\n```\n<!-- readme: file f.txt -->\n"
    text += "```text\nabc\n```\n```python\nassert x == 2 and open('out.txt').read() == 'hi\\n'\n"
    text += "assert open('f.txt').read() == 'abc\\n' and __name__ == '__main__'\n```\n"
    script = tmp_path / "s.py"
    script.write_text(session_script(readme_blocks(text)))
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    script.write_text(
        session_script(readme_blocks("```python\nx = 1\n```\n```python\nraise ValueError\n```\n"))
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and 'File "README.md", line 5' in done.stderr


@pytest.mark.slow
def test_readme_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    blocks = readme_blocks(README.read_text())
    assert sum(b.action == "python" for b in blocks) >= 8, "the tour lost its code blocks"
    script = tmp_path / "readme_session.py"
    script.write_text(session_script(blocks))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    work = tmp_path / "session"
    work.mkdir()
    for name in ("isf-examples", "sonata-examples"):  # the user's own data, in the coming-from sections
        if f"{name}/" in README.read_text():
            corpus = CORPUS / name
            assert corpus.is_dir(), f"the example corpus is missing: {corpus}"
            (work / name).symlink_to(corpus)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + "\n" + done.stderr[-6000:]
    print(done.stderr.strip().splitlines()[-1])  # README session: <seconds> s
