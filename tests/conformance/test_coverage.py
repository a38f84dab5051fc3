"""The suite covers the whole corpus, and ``validate`` agrees with the readers' refusals.

Every ``.h5`` and ``.json`` file of both corpus folders is classified; the kinds
the conformance tests compare with libsonata are non-empty; the files that are
not SONATA at all are refused with an error naming the file and the rule; and
each dataset the readers refuse is reported by ``neuroloom validate``.
"""

from __future__ import annotations

import json

import pytest

from neuroloom.errors import NeuroloomError
from neuroloom.sonata import read_frame_report, validate

from .corpus import CORPUS, DATASETS, FILES, KINDS, MISSING, files, path_of, require
from .test_nodes_edges import POPULATIONS_REFUSED, REFUSED
from .test_spikes_reports import REPORTS_REFUSED

# Files of the corpus that are not SONATA and are refused, with the rule they break:
# 5_cells_iclamp/verification/cellvar_*.h5 are NEURON traces in bmtk's pre-SONATA
# "cell vars" layout (/mapping/gids, /v/data): no /report/<population> group.
NOT_SONATA = {
    f"sonata-examples/5_cells_iclamp/verification/cellvar_gid{i}_{name}.h5": "/report"
    for i, name in enumerate(
        ("472363762_Scnn1a", "473863510_Rorb", "473863035_Nr5a1", "472912177_PV1", "473862421_PV2")
    )
}


def test_every_file_is_classified() -> None:
    require(MISSING if not CORPUS.is_dir() else CORPUS)
    seen = {rel for kind in KINDS for rel in FILES[kind]}
    on_disk = {
        str(p.relative_to(CORPUS))
        for d in DATASETS
        for p in (CORPUS / d).rglob("*")
        if p.suffix in (".h5", ".json")
    }
    assert seen == on_disk
    for kind in ("nodes", "edges", "spikes", "report", "circuit_config", "simulation_config", "node_sets"):
        assert FILES[kind] and FILES[kind] != [MISSING], f"no {kind} file in the corpus"


@pytest.mark.parametrize("rel", files("other_h5"))
def test_non_sonata_files_are_refused(rel: str) -> None:
    path = path_of(rel)
    assert rel in NOT_SONATA, f"{rel} is neither SONATA nor in the list of refused files"
    with pytest.raises(NeuroloomError) as exc:
        read_frame_report(path)
    assert path.name in str(exc.value) and NOT_SONATA[rel] in str(exc.value) and "rule" in str(exc.value)
    assert any("not a SONATA file" in v.message for v in validate(path))


@pytest.mark.parametrize("rel", files("config_index"))
def test_bmtk_top_level_configs_point_into_the_suite(rel: str) -> None:
    """bmtk's config.json only names a circuit and a simulation config; both are covered."""
    path = path_of(rel)
    data = json.loads(path.read_text())
    for key, kind in (("network", "circuit_config"), ("simulation", "simulation_config")):
        target = (path.parent / data[key]).resolve()
        if not target.exists():
            # sim_tests/shared_components/configs/config.json is the template each
            # sim_tests/*/input/config.json was copied from; its targets exist only there
            assert "shared_components" in rel, f"{rel}: {key} -> {target} does not exist"
            continue
        assert str(target.relative_to(CORPUS)) in FILES[kind], f"{rel}: {key} -> {target} not covered"


def test_validate_reports_what_the_readers_refuse() -> None:
    require(MISSING if not CORPUS.is_dir() else CORPUS)
    wanted: dict[str, set[str]] = {}
    for rel, pop, attr in REFUSED:
        kind = "nodes" if "nodes" in rel else "edges"
        wanted.setdefault(rel, set()).add(f"/{kind}/{pop}/0/{attr}")
    for (rel, _pop), (where, _rule) in POPULATIONS_REFUSED.items():
        wanted.setdefault(rel, set()).add(where)
    for rel, pop in REPORTS_REFUSED:
        wanted.setdefault(rel, set()).add(f"/report/{pop}/mapping")
    for rel, places in sorted(wanted.items()):
        found = {v.where for v in validate(CORPUS / rel) if v.level == "error"}
        assert places <= found, f"{rel}: validate misses {sorted(places - found)}"
