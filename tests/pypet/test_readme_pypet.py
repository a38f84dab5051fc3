"""README "Coming from pypet": the worked example runs as written and says what it does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.params.units import is_quantity
from neuroloom.store.codecs.arrays import compression_pays
from neuroloom.study.run import Run

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Coming from pypet") : text.index("## Coming from mozaik")]


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from brian2 import prefs

    (block,) = re.findall(r"```python\n(.*?)```", _section(), flags=re.S)
    monkeypatch.chdir(tmp_path)
    prefs.codegen.target = "numpy"  # no C compiler needed in the test; the example runs either way
    namespace: dict[str, Any] = {"__name__": "readme_pypet"}
    exec(compile(block, str(README), "exec"), namespace)
    return namespace


def _comment(line_start: str) -> str:
    """The comment of the example's line starting with ``line_start``."""
    (line,) = [x for x in _section().splitlines() if x.startswith(line_start)]
    return line.split("#", 1)[1].strip()


def test_the_first_steps_part_does_what_its_comments_say(example: dict[str, Any]) -> None:
    study: nl.Study = example["study"]
    assert study.params.info("x").comment == "first factor"
    z = study.results("z")
    assert (z["z"] == z["x"] * z["y"]).all() and len(z) == 6
    assert study.result_comments()["z"] == "the product of x and y"
    wanted = re.search(r"\[([\d, ]+)\]", _comment("study.find("))
    assert wanted is not None
    assert study.find(lambda x, y: x == 2 or y == 7) == [int(i) for i in wanted.group(1).split(",")]
    logged = re.search(r'"(.*)"', _comment("print(study.run_log(3))"))
    assert logged is not None and logged.group(1) in study.run_log(3)
    view = study.run_view(3)
    assert view.results["z"] == view.params.x * view.params.y


def test_the_brian2_part_keeps_units_groups_and_monitors(example: dict[str, Any]) -> None:
    from brian2 import ms, mV

    lif: nl.Study = example["lif"]
    assert lif.params.info("net.tau").comment == "membrane time constant"
    summary = lif.results("summary")
    assert {"nspikes", "last_v"} <= set(summary.columns) and len(summary) == 3
    assert is_quantity(summary["last_v"].iloc[0])
    assert summary["nspikes"].is_monotonic_increasing  # more drive, more spikes
    spikes = lif.view.spikes()
    assert set(spikes["run"]) == {1, 2} and set(spikes["population"]) == {"exc"}  # 10 mV never fires
    trace = lif.run_view(2).signals("exc", "v")
    assert len(trace) > 0
    first = lif.run_view(0).params
    assert (first.I, first.tau) == (10 * mV, 10 * ms)


def test_every_neuroloom_call_of_the_table_exists() -> None:
    """The right-hand column names real functions, methods and options."""
    import inspect

    from neuroloom.sim import brian2 as sim_brian2

    run_options = inspect.signature(nl.Study.run).parameters
    assert {"backend", "workers", "then", "git_commit", "git_fail"} <= set(run_options)
    assert "overwrite" in inspect.signature(nl.Study).parameters
    assert "comment" in inspect.signature(Run.save).parameters
    for name in ("run_view", "run_log", "results", "find", "explore", "filter"):
        assert callable(getattr(nl.Study, name))
    for name in ("record", "derive", "save"):
        assert callable(getattr(Run, name))
    assert callable(nl.merge) and callable(nl.pypet.import_) and callable(sim_brian2.simulate)
    assert isinstance(nl.Study.comment, property)
    np.testing.assert_equal(len(re.findall(r"^\| `", _section(), flags=re.M)) > 20, True)
    right = re.findall(r"^\| .*? \| (.*) \|$", _section(), flags=re.M)  # the neuroloom column
    owners = {"study": nl.Study, "run": Run, "nl": nl}
    named = [(o, n) for cell in right for o, n in re.findall(r"\b(study|run|nl)\.([A-Za-z_]\w*)", cell)]
    assert len(named) > 20
    assert [f"{o}.{n}" for o, n in named if not hasattr(owners[o], n)] == []


def test_where_results_go_as_the_section_says() -> None:
    import inspect

    from neuroloom.study.run import INLINE_ARRAY_ELEMENTS

    text = " ".join(_section().split())
    assert f"arrays of up to {INLINE_ARRAY_ELEMENTS} elements are kept in the study's catalog" in text
    assert "zlib-compressed (`npz`) when that shrinks them below 3/4" in text
    assert inspect.signature(compression_pays).parameters["ratio"].default == 0.75
