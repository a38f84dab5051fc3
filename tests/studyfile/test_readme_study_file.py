"""README §7's study files run as written (the README session runs them too; this checks what they give)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tomllib
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.datastore.study import Study
from neuroloom.studyfile import parse_spec, run_spec

README = Path(__file__).resolve().parents[2] / "README.md"


def _section_7_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### 7. The main job") : text.index("## Coming from bmtk")]
    return re.findall(r"```toml\n(.*?)```", section, flags=re.S)


def _network_block() -> dict[str, Any]:
    return tomllib.loads(_section_7_blocks()[0])


def _jobs_file() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- readme: file jobs.py -->\n```python\n(.*?)```", text, flags=re.S)
    assert found is not None, "README section 7 lost its jobs.py block"
    return found.group(1)


def test_readme_network_study_file_parses_as_written(tmp_path: Path) -> None:
    spec = parse_spec(_network_block(), tmp_path / "readme.toml")
    assert spec.network is not None
    assert {p.name: p.n for p in spec.network.populations} == {"exc": 400, "inh": 100, "ext": 100}
    assert spec.simulation.weight_scale == {"inh": "$syn.g"}


@pytest.mark.slow
def test_readme_network_study_file_runs_with_input_reaching_the_network(tmp_path: Path) -> None:
    messages: list[str] = []
    study, report = run_spec(
        parse_spec(_network_block(), tmp_path / "readme.toml"), progress=False, echo=messages.append
    )
    assert (report.done, report.failed) == (8, 0)
    assert not [m for m in messages if m.startswith("warning")]
    assert any("2 network point(s)" in m for m in messages), messages  # one network per conn.p
    rates = study.results("rate_exc")  # with the parameter columns
    assert len(rates) == 8 and (rates["rate_exc"] > 0).all()  # seeded: the input reaches every run
    by_input = rates.pivot_table("rate_exc", index=["syn.g", "conn.p"], columns="input.rate")
    assert (by_input[40.0] > by_input[30.0]).all(), by_input  # more input, more exc spikes


def test_readme_job_study_file_runs(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text(_jobs_file())
    file = tmp_path / "my.toml"
    file.write_text(next(b for b in _section_7_blocks() if "job =" in b))
    done = CliRunner().invoke(main, ["run", str(file), "--backend", "serial", "--no-progress"])
    assert done.exit_code == 0, done.output
    assert sorted(Study(tmp_path / "my-study").results("y")["y"]) == [1.0, 4.0, 9.0]


def test_readme_simulation_config_block_parses_on_the_corpus(tmp_path: Path) -> None:
    block = next(b for b in _section_7_blocks() if "simulation_config =" in b)
    corpus = README.parent.parent / "shared" / "corpus" / "sonata-examples"
    assert corpus.is_dir(), f"the corpus is missing: {corpus}"
    config = tomllib.loads(block.replace('"300_pointneurons/', f'"{corpus.resolve()}/300_pointneurons/'))
    config.update(study={"path": "s"}, params={"t": 100.0, "tau": 10.0, "w": 2.0})
    spec = parse_spec(config, tmp_path / "readme.toml")
    assert spec.network is not None and spec.network.overrides == {
        "run.tstop": "$t",
        "node_types.internal.tau_m": "$tau",
        "edge_types.internal_to_internal.syn_weight": "$w",
    }
