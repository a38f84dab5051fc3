"""The README's "Coming from in_silico_framework" blocks run as written (on the corpus)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
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


def test_readme_isf_table_rows_on_databases(tmp_path: Path) -> None:
    """The table's rows on ISFDataBase behaviour: readonly/create, change_dumper, one key hierarchy."""
    import neuroloom as nl
    from neuroloom.errors import NeuroloomError

    section = _section()
    for row in (
        "readonly=True, create=False",
        "change_codec('x', 'parquet')",
        "codec_history",
        "names `'A'`",
    ):
        assert row in section
    with pytest.raises(NeuroloomError, match="missing"):
        nl.Database(tmp_path / "missing", readonly=True, create=False)
    db = nl.Database(tmp_path / "db")
    db["x"] = pd.DataFrame({0: [1.0]})
    db.change_dumper("x", "I.dumper_pandas_to_parquet")
    db.change_codec("x", "parquet")
    assert [h["codec"] for h in db.metadata("x")["codec_history"]] == ["parquet", "parquet"]
    db["A"] = 1
    with pytest.raises(NeuroloomError, match="'A'"):
        db["A", "1"] = 2
    ro = nl.Database(tmp_path / "db", readonly=True, create=False)
    with pytest.raises(NeuroloomError, match="readonly"):
        ro["y"] = 1
    assert "y" not in ro and "y" not in db
