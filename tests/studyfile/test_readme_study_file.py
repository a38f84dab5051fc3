"""README §7's study files run (the network study at a smaller size, the job study as written)."""

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


def test_readme_network_study_file_parses_as_written(tmp_path: Path) -> None:
    spec = parse_spec(_network_block(), tmp_path / "readme.toml")
    assert spec.network is not None
    assert {p.name: p.n for p in spec.network.populations} == {"exc": 4000, "inh": 1000, "ext": 1000}
    assert spec.simulation.weight_scale == {"inh": "$syn.g"}


@pytest.mark.slow
def test_readme_network_study_file_runs_with_input_reaching_the_network(tmp_path: Path) -> None:
    config = _network_block()
    for name in ("exc", "inh"):
        config["network"]["populations"][name]["n"] //= 20  # 200 exc, 50 inh; ext and its k as written
    config["simulation"].update(duration=200.0, target="numpy")
    config["study"]["backend"] = "serial"
    messages: list[str] = []
    study, report = run_spec(
        parse_spec(config, tmp_path / "readme.toml"), progress=False, echo=messages.append
    )
    assert (report.done, report.failed) == (4, 0)
    assert not [m for m in messages if m.startswith("warning")]
    rates = study.results("rate_exc")["rate_exc"]
    assert len(rates) == 4 and (rates > 0).all()  # the input reaches the network in every run


def test_readme_job_study_file_runs(tmp_path: Path) -> None:
    block = next(b for b in _section_7_blocks() if "job =" in b)
    function = re.search(r"# (def simulate\(run\): .*)", block)
    assert function is not None
    (tmp_path / "jobs.py").write_text(function.group(1).replace(": run.save", ":\n    run.save") + "\n")
    file = tmp_path / "my.toml"
    file.write_text(block)
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
