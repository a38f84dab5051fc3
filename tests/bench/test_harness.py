"""bench/harness.py: timing, peer processes, tables and JSON results (no virtualenv is built here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "harness.py"


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_harness_under_test", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


harness = load_harness()


def test_time_it_repeats_runs_before_each_call_and_keeps_the_last_result() -> None:
    calls: list[str] = []
    timing = harness.time_it(
        lambda: calls.append("fn") or len(calls), 3, before=lambda: calls.append("before")
    )
    assert calls == ["before", "fn"] * 3
    assert timing.result == 6
    assert len(timing.times) == 3
    assert timing.best == min(timing.times) <= timing.median <= max(timing.times)
    assert timing.as_dict() == {"best": timing.best, "median": timing.median, "times": list(timing.times)}
    with pytest.raises(ValueError, match="repeats"):
        harness.time_it(lambda: None, 0)


def test_run_json_reads_the_last_line_and_runs_from_the_bench_folder() -> None:
    code = "import json, pathlib; print('noise'); print(json.dumps({'cwd': str(pathlib.Path.cwd())}))"
    assert harness.run_json(["-c", code]) == {"cwd": str(HARNESS.parent)}
    # a snippet can import the harness itself (the bench folder is the working directory)
    assert harness.run_json(["-c", "import json, harness; print(json.dumps(harness.verdict(True)))"]) == "met"


def test_run_json_names_a_failing_or_silent_process() -> None:
    with pytest.raises(RuntimeError, match=r"pypet side failed \(exit 3\):\n.*boom"):
        harness.run_json(["-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"], what="pypet side")
    with pytest.raises(RuntimeError, match="printed no JSON"):
        harness.run_json(["-c", "print('not json')"])


def test_print_table_shows_ratios_to_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"name": "peer", "best": 2.0, "ratio": 1.0}, {"name": "ours", "best": 0.5, "ratio": 0.25}]
    harness.print_table("title", rows, reference="peer", ratio="best", scale=1e3, unit="ms")
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "title"
    assert "best ms" in lines[2] and "vs peer" in lines[2]
    assert lines[3].split() == ["peer", "2000.000", "1.00x", "1.00x"]
    assert lines[4].split() == ["ours", "500.000", "0.25x", "0.25x"]
    harness.print_table("counts", [{"name": "a", "best": 1.0, "spikes": 7}], unit="s")
    head = capsys.readouterr().out.splitlines()[2]
    assert "best s" in head and "spikes" in head and "spikes s" not in head


def test_results_are_written_whole_under_the_script_name(tmp_path: Path) -> None:
    import numpy as np

    results = harness.Results("/somewhere/bench_thing.py", {"quick": True, "path": tmp_path})
    timing = results.add("query", harness.time_it(lambda: 1, 2))
    assert timing.result == 1
    results.add("count", np.int64(3))
    path = results.write(tmp_path / "out")
    assert path == tmp_path / "out" / "bench_thing.json"
    data = json.loads(path.read_text())
    assert data["script"] == "bench_thing"
    assert data["options"] == {"quick": True, "path": str(tmp_path)}
    assert data["results"]["query"]["times"] == list(timing.times)
    assert data["results"]["count"] == 3
    assert [p.name for p in path.parent.iterdir()] == ["bench_thing.json"]  # no temp file left


def test_parser_has_quick() -> None:
    assert harness.parser("doc").parse_args(["--quick"]).quick is True
    assert harness.parser("doc").parse_args([]).quick is False


def test_a_reused_peer_env_is_read_from_its_marker(tmp_path: Path) -> None:
    """A virtualenv whose marker names the same requirements is reused without pip."""
    env = tmp_path / ".venv-peer"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").symlink_to(sys.executable)
    marker = {
        "requirements": ["peertool<2"],
        "optional_requirements": {"extra": ["extra<1"]},
        "name": "peer",
        "python": str(env / "bin" / "python"),
        "optional": {"extra": None},
        "errors": {"extra": "no matching distribution"},
        "versions": {"peertool": "1.5"},
    }
    (env / harness.ENV_MARKER).write_text(json.dumps(marker))
    got = harness.peer_env("peer", ["peertool<2"], optional={"extra": ["extra<1"]}, env_dir=env)
    assert got.python == env / "bin" / "python"
    assert got.optional == {"extra": None}
    assert got.errors == {"extra": "no matching distribution"}
    assert got.versions == {"peertool": "1.5"}
    assert got.as_dict()["requirements"] == ["peertool<2"]
