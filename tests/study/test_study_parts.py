"""A study holds its parts (item store, catalog, marker); its runs' values are keys of its store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import neuroloom as nl
from neuroloom.cli import main
from neuroloom.errors import CodecError, ItemNotFoundError, StudyError
from neuroloom.store import Database
from neuroloom.study.catalog import Catalog
from neuroloom.study.marker import StudyMarker
from neuroloom.study.run import Run

BIG = 2_000_000  # elements: larger than an archive member, kept as an item folder


def _job(run: Run) -> float:
    run.save("small", np.arange(300) * run.params.x)  # over 256 elements: the run's archive
    run.save("big", np.full(BIG, float(run.params.x)))  # item folder
    run.save("tiny", [1, 2, run.params.x])  # catalog (JSON)
    return float(run.params.x) / 2  # catalog (native)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    study = nl.Study(tmp_path_factory.mktemp("parts") / "s", seed=3)
    study.params.add("x", 1)
    study.explore(nl.grid(x=[1, 2]))
    study.run(_job, backend="serial", progress=False)
    study["own"] = {"a": 1}
    return study


def test_a_study_holds_its_parts_and_is_no_database(study: nl.Study) -> None:
    assert not isinstance(study, Database)
    assert isinstance(study.store, Database) and isinstance(study.catalog, Catalog)
    assert isinstance(study.marker, StudyMarker) and study.params is study.marker.params
    assert study.store.kind == "study" and study.store.id == study.id and study.store.path == study.path
    assert json.loads((study.path / "neuroloom.json").read_text())["seed"] == study.seed == 3
    assert study == nl.Study(study.path) and hash(study) == hash(nl.Study(study.path))
    assert list(study) == ["own"] and len(study) == 1 and study["own"] == {"a": 1}


def test_each_place_of_a_run_value_reads_through_the_study(study: nl.Study) -> None:
    run = ("runs", "run_00000001")
    assert study[(*run, "return")] == 1.0 and study.get((*run, "return")) == 1.0
    assert study[(*run, "tiny")] == [1, 2, 2]
    np.testing.assert_array_equal(study[(*run, "small")], np.arange(300) * 2)
    np.testing.assert_array_equal(study[(*run, "big")], np.full(BIG, 2.0))
    assert all((*run, name) in study for name in ("return", "tiny", "small", "big"))
    assert (*run, "nothing") not in study and ("runs", "run_00000009", "return") not in study
    assert study.metadata((*run, "return"))["codec"] == "catalog"
    assert study.metadata((*run, "small"))["codec"] == "npy"
    assert study.metadata((*run, "big"))["codec"] in ("npy", "npz")
    assert (study.path / "runs" / "00000" / "run_00000001" / "items.zip").is_file()
    assert (study.path / "runs" / "00000" / "run_00000001" / "items" / "big").is_dir()
    for name in ("return", "tiny", "small", "big"):
        got = nl.resolve(study.uri((*run, name)), search=[study.path.parent])
        np.testing.assert_array_equal(np.asarray(got), np.asarray(study[(*run, name)]))
    with pytest.raises(CodecError, match=r"catalog.*no option 'mmap'"):
        study.get((*run, "return"), mmap=False)
    with pytest.raises(ItemNotFoundError, match="nothing"):
        study[(*run, "nothing")]


def test_writes_under_runs_are_refused_and_the_runs_are_intact(study: nl.Study) -> None:
    run = ("runs", "run_00000000")
    writes = [
        lambda: study.set((*run, "return"), 5),
        lambda: study.__setitem__((*run, "new"), 5),
        lambda: study.__delitem__((*run, "big")),
        lambda: study.__delitem__((*run, "return")),
        lambda: study.folder((*run, "files")),
        lambda: study.change_codec((*run, "big"), "json"),
        lambda: study.cached((*run, "later"), lambda: 1),
    ]
    for write in writes:
        with pytest.raises(StudyError, match=r"keys starting with 'runs'.*run\.save"):
            write()
    assert study[(*run, "return")] == 0.5
    np.testing.assert_array_equal(study[(*run, "big")], np.full(BIG, 1.0))
    assert study.results("return")["return"].tolist() == [0.5, 1.0]


def test_neuroloom_show_reads_a_run_value_of_a_study(study: nl.Study) -> None:
    shown = CliRunner().invoke(main, ["show", str(study.path), "runs/run_00000001/tiny"])
    assert shown.exit_code == 0, shown.output
    assert '"codec": "catalog"' in shown.output and json.loads(shown.output.split("--- preview")[1]) == [
        1,
        2,
        2,
    ]
    listed = CliRunner().invoke(main, ["ls", str(study.path)])
    assert listed.exit_code == 0 and "own" in listed.output and "1 items" in listed.output


def test_clear_deletes_the_study_items_without_loading_them_and_keeps_the_runs(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1)
    study.explore(nl.grid(x=[1, 2]))
    study.run(_job, backend="serial", progress=False)
    study.set("pickled", object(), codec="pickle")  # loading it would need allow_pickle
    study["plain"] = 1
    study.clear()
    assert len(study) == 0 and study.results("return")["return"].tolist() == [0.5, 1.0]
