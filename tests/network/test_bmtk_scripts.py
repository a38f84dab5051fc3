"""bmtk-style build scripts run with bmtk and with neuroloom (only their imports switched): same networks."""

from __future__ import annotations

from pathlib import Path

import pytest
from bmtk_compare import SCRIPTS, bmtk_reads, run_script, summarise

pytest.importorskip("bmtk.builder", reason="bmtk (bench/dev extra) is the reference")

#: scripts whose random draws neuroloom consumes in bmtk's order: counts must be equal
SCRIPTS_EXACT = [
    "point_column.py",
    "stdp_feedforward.py",
    "bulk_rules.py",
    "population_counts.py",
    "bio_synapses.py",
    "mixed_models.py",
    "filter_cells.py",
    "typed_builders.py",
]


@pytest.mark.parametrize("name", SCRIPTS_EXACT)
def test_script_gives_bmtk_network(name: str, tmp_path: Path) -> None:
    network = run_script(SCRIPTS / name, "neuroloom", tmp_path / "neuroloom")
    bmtk_reads(network)
    ours = summarise(network)
    ref = summarise(run_script(SCRIPTS / name, "bmtk", tmp_path / "bmtk"))
    assert ours["nodes"].keys() == ref["nodes"].keys()
    for pop, want in ref["nodes"].items():
        got = ours["nodes"][pop]
        assert got["count"] == want["count"], pop
        assert got["type_counts"] == want["type_counts"], pop
        assert got["types"] == want["types"], pop
        assert got["properties"] == want["properties"], pop
    assert ours["edges"].keys() == ref["edges"].keys()
    for pop, want in ref["edges"].items():
        got = ours["edges"][pop]
        assert (got["source"], got["target"]) == (want["source"], want["target"])
        assert got["types"] == want["types"], pop
        assert got["synapses_per_type"] == want["synapses_per_type"], pop
        assert got["rows"] == want["rows"], pop
        assert got["properties"] == want["properties"], pop
