"""The README's "Coming from in_silico_framework" blocks run as written (on the corpus)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from neuroloom.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Coming from in_silico_framework")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_isf_blocks_run(isf_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = _section()
    bash = re.search(r"```bash\n(.*?)```", section, re.S)
    python = re.search(r"```python\n(.*?)```", section, re.S)
    assert bash and python
    monkeypatch.chdir(tmp_path)
    for line in bash.group(1).splitlines():
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        args = shlex.split(command.replace("isf-examples", str(isf_corpus)))
        assert args[0] == "neuroloom"
        result = CliRunner().invoke(main, args[1:])
        assert result.exit_code == 0, result.output
    namespace: dict[str, object] = {}
    exec(compile(python.group(1), "README.md", "exec"), namespace)
    per = namespace["view"].trials_with_spike(245, 265, by="st_stim")  # type: ignore[attr-defined]
    assert per.set_index("st_stim")["n_with_spike"].to_dict()["C2"] == 840
