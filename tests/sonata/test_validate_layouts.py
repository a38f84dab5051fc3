"""``neuroloom validate`` reports every layout libsonata rejects, with the dataset path and the rule.

Each case starts from a valid nodes / edges / spikes / report file and breaks
one thing by hand with h5py. For each, the test asserts what libsonata does
with the file (``rejects``: it raises while reading everything a user reads;
``False`` states that libsonata accepts the layout although the spec or bmtk
semantics say it is wrong) and that ``validate`` names the dataset and the rule.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.sonata import (
    FrameReport,
    validate,
    write_edges,
    write_frame_report,
    write_nodes,
    write_spikes,
)

N = 6
TEXT = h5py.string_dtype()


def _replace(fh: h5py.File, path: str, data: np.ndarray, dtype: object = None) -> None:
    del fh[path]
    fh.create_dataset(path, data=data, dtype=dtype)


def _swap_for_strings(fh: h5py.File, group: str, name: str, rows: int) -> None:
    del fh[f"{group}/{name}"]
    fh[group].create_dataset(name, data=["472363762_point.json"] * rows, dtype=TEXT)


def _gzip(fh: h5py.File, path: str) -> None:
    values = fh[path][()]
    del fh[path]
    fh.create_dataset(path, data=values, compression="gzip")


def _old_layout(fh: h5py.File) -> None:
    ids, times = fh["spikes/p/node_ids"][()], fh["spikes/p/timestamps"][()]
    del fh["spikes/p"]
    fh["spikes/gids"] = ids
    fh["spikes/timestamps"] = times
    fh["spikes"].attrs["sorting"] = "by_gid"


@dataclass(frozen=True)
class Case:
    kind: str  # nodes | edges | spikes | report
    where: str  # dataset path validate must name
    rule: str  # words of the rule validate must give
    rejects: bool  # libsonata raises when reading the file
    change: Callable[[h5py.File], None]


CASES = {
    # bmtk scripts give dynamics_params='x.json': a per-row string dataset where SONATA wants a group
    "nodes dynamics_params dataset": Case(
        "nodes",
        "/nodes/p/0/dynamics_params",
        "is a group of per-node parameters",
        True,
        lambda f: _swap_for_strings(f, "nodes/p/0", "dynamics_params", N),
    ),
    "edges dynamics_params dataset": Case(
        "edges",
        "/edges/p/0/dynamics_params",
        "is a group of per-edge parameters",
        True,
        lambda f: _swap_for_strings(f, "edges/p/0", "dynamics_params", N),
    ),
    # model_template as a subgroup of "0" (a group where a dataset belongs)
    "model_template subgroup": Case(
        "nodes",
        "/nodes/p/0/model_template",
        "holds one dataset per attribute",
        True,
        lambda f: f["nodes/p/0"].create_group("model_template"),
    ),
    # model_template inside dynamics_params: libsonata accepts it as a "parameter"
    "model_template in dynamics_params": Case(
        "nodes",
        "/nodes/p/0/dynamics_params/model_template",
        "not a dynamics parameter",
        False,
        lambda f: f["nodes/p/0/dynamics_params"].create_dataset(
            "model_template", data=["nest:x"] * N, dtype=TEXT
        ),
    ),
    # model_type next to node_type_id: no reader looks there (libsonata ignores it)
    "model_type at population level": Case(
        "nodes",
        "/nodes/p/model_type",
        'attributes go in group "0" or the types CSV',
        False,
        lambda f: f["nodes/p"].create_dataset("model_type", data=["point_neuron"] * N, dtype=TEXT),
    ),
    # legal HDF5, but the libsonata wheel has no gzip filter
    "gzip-compressed attribute": Case(
        "nodes",
        "/nodes/p/0/x",
        "the libsonata wheel cannot read it",
        True,
        lambda f: _gzip(f, "nodes/p/0/x"),
    ),
    "missing node_type_id": Case(
        "nodes",
        "/nodes/p/node_type_id",
        "every node population has node_type_id",
        True,
        lambda f: f["nodes/p"].__delitem__("node_type_id"),
    ),
    "node_type_id float": Case(
        "nodes",
        "/nodes/p/node_type_id",
        "node_type_id is an integer dataset",
        False,
        lambda f: _replace(f, "nodes/p/node_type_id", np.zeros(N)),
    ),
    "node_type_id 2-D": Case(
        "nodes",
        "/nodes/p/node_type_id",
        "must be 1-D",
        False,
        lambda f: _replace(f, "nodes/p/node_type_id", np.zeros((N, 2), dtype=np.int64)),
    ),
    "missing group 0": Case(
        "nodes",
        "/nodes/p/0",
        'a population holds group "0"',
        True,
        lambda f: f["nodes/p"].__delitem__("0"),
    ),
    "attribute too short": Case(
        "nodes",
        "/nodes/p/0/x",
        "has 5 rows, expected 6",
        True,
        lambda f: _replace(f, "nodes/p/0/x", np.arange(N - 1.0)),
    ),
    "dynamics parameter too short": Case(
        "nodes",
        "/nodes/p/0/dynamics_params/tau",
        "has 5 rows, expected 6",
        True,
        lambda f: _replace(f, "nodes/p/0/dynamics_params/tau", np.arange(N - 1.0)),
    ),
    "2-D attribute": Case(
        "nodes",
        "/nodes/p/0/positions",
        "attribute datasets are 1-D",
        True,
        lambda f: f["nodes/p/0"].create_dataset("positions", data=np.zeros((N, 3))),
    ),
    "HDF5 enum attribute": Case(
        "nodes",
        "/nodes/p/0/col",
        "attribute dtypes are integers, floats and strings",
        True,
        lambda f: f["nodes/p/0"].create_dataset(
            "col", data=np.zeros(N, np.int8), dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype=np.int8)
        ),
    ),
    # an attribute with no values at all: libsonata returns an empty array for 6 nodes
    "null attribute": Case(
        "nodes",
        "/nodes/p/0/nul",
        "null dataspace",
        False,
        lambda f: f["nodes/p/0"].create_dataset("nul", dtype=np.float64),
    ),
    "@library code too large": Case(
        "nodes",
        "/nodes/p/0/ei",
        "codes index @library",
        True,
        lambda f: _replace(f, "nodes/p/0/ei", np.array([0, 1, 5, 0, 0, 0], dtype=np.uint8)),
    ),
    # negative codes: libsonata reads them without complaint (a libsonata gap)
    "@library code negative": Case(
        "nodes",
        "/nodes/p/0/ei",
        "codes index @library",
        False,
        lambda f: _replace(f, "nodes/p/0/ei", np.array([0, 1, -1, 0, 0, 0], dtype=np.int8)),
    ),
    "@library not strings": Case(
        "nodes",
        "/nodes/p/0/@library/ei",
        "@library holds the names",
        True,
        lambda f: _replace(f, "nodes/p/0/@library/ei", np.array([1.0, 2.0])),
    ),
    "group id names a missing group": Case(
        "nodes",
        "/nodes/p/node_group_id",
        "group ids name groups",
        False,
        lambda f: _replace(f, "nodes/p/node_group_id", np.array([0, 0, 1, 0, 0, 0], dtype=np.uint32)),
    ),
    "group index past the group": Case(
        "nodes",
        "/nodes/p/node_group_index",
        "group_index is a row of the group",
        False,
        lambda f: _replace(f, "nodes/p/node_group_index", np.array([0, 1, 2, 3, 4, 9], dtype=np.uint64)),
    ),
    "missing magic and version": Case(
        "nodes",
        "/",
        "carry magic and version",
        False,
        lambda f: (f.attrs.__delitem__("magic"), f.attrs.__delitem__("version")),
    ),
    "edges without source_node_id": Case(
        "edges",
        "/edges/p/source_node_id",
        "every edge population has source_node_id",
        True,
        lambda f: f["edges/p"].__delitem__("source_node_id"),
    ),
    "edges without target_node_id": Case(
        "edges",
        "/edges/p/target_node_id",
        "every edge population has source_node_id",
        True,
        lambda f: f["edges/p"].__delitem__("target_node_id"),
    ),
    "edges without edge_type_id": Case(
        "edges",
        "/edges/p/edge_type_id",
        "every edge population has source_node_id",
        True,
        lambda f: f["edges/p"].__delitem__("edge_type_id"),
    ),
    "source ids without node_population": Case(
        "edges",
        "/edges/p/source_node_id",
        "missing attribute 'node_population'",
        False,
        lambda f: f["edges/p/source_node_id"].attrs.__delitem__("node_population"),
    ),
    "source ids float": Case(
        "edges",
        "/edges/p/source_node_id",
        "source_node_id is an integer dataset",
        False,
        lambda f: _replace(f, "edges/p/source_node_id", np.arange(N, dtype=np.float64)),
    ),
    "target ids too short": Case(
        "edges",
        "/edges/p/target_node_id",
        "has 5 rows, expected 6",
        True,
        lambda f: _replace(f, "edges/p/target_node_id", np.array([1, 1, 2, 0, 5], dtype=np.uint64)),
    ),
    "edge attribute too short": Case(
        "edges",
        "/edges/p/0/w",
        "has 5 rows, expected 6",
        True,
        lambda f: _replace(f, "edges/p/0/w", np.arange(N - 1.0)),
    ),
    "edge group id names a missing group": Case(
        "edges",
        "/edges/p/edge_group_id",
        "group ids name groups",
        False,
        lambda f: _replace(f, "edges/p/edge_group_id", np.array([0, 0, 3, 0, 0, 0], dtype=np.uint16)),
    ),
    "index without direction": Case(
        "edges",
        "/edges/p/indices/source_to_target",
        "missing index group",
        True,
        lambda f: f["edges/p/indices"].__delitem__("source_to_target"),
    ),
    "no index": Case(
        "edges",
        "/edges/p/indices",
        "missing indices",
        True,
        lambda f: f["edges/p"].__delitem__("indices"),
    ),
    "node_id_to_ranges past range_to_edge_id": Case(
        "edges",
        "/edges/p/indices/target_to_source/node_id_to_ranges",
        "point past the end",
        True,
        lambda f: _replace(
            f,
            "edges/p/indices/target_to_source/node_id_to_ranges",
            np.array([[0, 1], [1, 2], [2, 3], [0, 0], [0, 0], [3, 9]], dtype=np.uint64),
        ),
    ),
    "node_id_to_ranges 1-D": Case(
        "edges",
        "/edges/p/indices/target_to_source/node_id_to_ranges",
        "must be 2-D",
        True,
        lambda f: _replace(f, "edges/p/indices/target_to_source/node_id_to_ranges", np.zeros(N, np.uint64)),
    ),
    # an index that lists edges under the wrong node: libsonata returns wrong edges silently
    "index inconsistent with target ids": Case(
        "edges",
        "/edges/p/indices/target_to_source/range_to_edge_id",
        "is listed under node",
        False,
        lambda f: _replace(
            f,
            "edges/p/indices/target_to_source/range_to_edge_id",
            f["edges/p/indices/target_to_source/range_to_edge_id"][()][::-1].copy(),
        ),
    ),
    "range_to_edge_id past the edges": Case(
        "edges",
        "/edges/p/indices/source_to_target/range_to_edge_id",
        "point past the number of edges",
        False,
        lambda f: _replace(
            f,
            "edges/p/indices/source_to_target/range_to_edge_id",
            f["edges/p/indices/source_to_target/range_to_edge_id"][()] + 100,
        ),
    ),
    # bmtk writes sorting as a string: libsonata cannot read the attribute
    "spike sorting as a string": Case(
        "spikes",
        "/spikes/p@sorting",
        "sorting must be an HDF5 enum",
        True,
        lambda f: (
            f["spikes/p"].attrs.__delitem__("sorting"),
            f["spikes/p"].attrs.__setitem__("sorting", "by_time"),
        ),
    ),
    # the old layout NEST and bmtk read: libsonata takes "gids" and "timestamps" for populations
    "spikes in the old /spikes/gids layout": Case(
        "spikes",
        "/spikes",
        "old layout",
        True,
        lambda f: _old_layout(f),
    ),
    "spike node_ids too short": Case(
        "spikes",
        "/spikes/p/node_ids",
        "has 2 rows, expected 3",
        True,
        lambda f: _replace(f, "spikes/p/node_ids", np.array([1, 2], dtype=np.uint64)),
    ),
    "report index_pointer (bmtk spelling)": Case(
        "report",
        "/report/p/mapping/index_pointer",
        "must be named index_pointers",
        True,
        lambda f: f["report/p/mapping"].move("index_pointers", "index_pointer"),
    ),
    "report pointers past the data": Case(
        "report",
        "/report/p/mapping/index_pointers",
        "!= number of data columns",
        True,
        lambda f: _replace(f, "report/p/mapping/index_pointers", np.array([0, 1, 5], dtype=np.uint64)),
    ),
    "report float64 data": Case(
        "report",
        "/report/p/data",
        "float32",
        True,
        lambda f: _replace(f, "report/p/data", np.zeros((4, 2))),
    ),
    "report without time": Case(
        "report",
        "/report/p/mapping/time",
        "missing required dataset",
        True,
        lambda f: f["report/p/mapping"].__delitem__("time"),
    ),
}


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One valid file per kind, written by neuroloom; libsonata reads each in full."""
    out = tmp_path_factory.mktemp("valid")
    files = {
        "nodes": write_nodes(
            out / "nodes.h5",
            {
                "p": {
                    "node_type_id": np.arange(N) % 2,
                    "x": np.arange(N, dtype=np.float64),
                    "ei": np.array(list("eeiiee")),
                    "dynamics_params": {"tau": np.arange(N, dtype=np.float64)},
                }
            },
            enumerate_strings=True,
        ),
        "edges": write_edges(
            out / "edges.h5",
            "p",
            [0, 1, 2, 3, 4, 5],
            [1, 1, 2, 0, 5, 5],
            source="p",
            target="p",
            source_size=N,
            target_size=N,
            edge_type_id=[0, 1, 0, 1, 0, 1],
            properties={"w": np.arange(N, dtype=np.float64)},
            dynamics={"tau": np.arange(N, dtype=np.float64)},
        ),
        "spikes": write_spikes(out / "spikes.h5", {"p": ([1, 2, 1], [0.5, 1.0, 2.0])}),
        "report": write_frame_report(
            out / "report.h5",
            {"p": FrameReport(node_ids=[3, 7], data=np.ones((4, 2), np.float32), times=(0.0, 0.4, 0.1))},
        ),
    }
    for kind, path in files.items():
        _libsonata_reads(kind, path)
        assert [v for v in validate(path) if v.level == "error"] == [], kind
    return files


def _libsonata_reads(kind: str, path: Path) -> None:
    """Everything a user reads through libsonata; raises where libsonata refuses the file."""
    name = str(path)
    if kind in ("nodes", "edges"):
        storage = libsonata.NodeStorage(name) if kind == "nodes" else libsonata.EdgeStorage(name)
        for pop_name in storage.population_names:
            pop = storage.open_population(pop_name)
            sel = pop.select_all()
            for attr in pop.attribute_names:
                pop.get_attribute(attr, sel)
            for attr in pop.enumeration_names:
                pop.get_enumeration(attr, sel)
            for attr in pop.dynamics_attribute_names:
                pop.get_dynamics_attribute(attr, sel)
            if kind == "edges":
                pop.source_nodes(sel)
                pop.target_nodes(sel)
                for node in range(N):
                    pop.afferent_edges([node])
                    pop.efferent_edges([node])
    elif kind == "spikes":
        reader = libsonata.SpikeReader(name)
        for pop_name in reader.get_population_names():
            reader[pop_name].get_dict()
    else:
        reader = libsonata.ElementReportReader(name)
        for pop_name in reader.get_population_names():
            reader[pop_name].get()


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_names_what_libsonata_rejects(case: str, valid: dict[str, Path], tmp_path: Path) -> None:
    spec = CASES[case]
    path = tmp_path / f"{spec.kind}.h5"
    shutil.copy(valid[spec.kind], path)
    with h5py.File(path, "a") as fh:
        spec.change(fh)
    if spec.rejects:
        with pytest.raises((libsonata.SonataError, RuntimeError)):
            _libsonata_reads(spec.kind, path)
    else:  # stated: libsonata reads this layout without complaint
        _libsonata_reads(spec.kind, path)
    found = validate(path)
    hits = [v for v in found if v.where == spec.where and spec.rule in v.message]
    assert hits, f"{case}: validate did not report {spec.where} ({spec.rule!r}); found:\n" + "\n".join(
        map(str, found)
    )
    assert all(v.file == str(path) for v in hits)


def test_cli_exit_code_and_dataset_path(valid: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "nodes.h5"
    shutil.copy(valid["nodes"], path)
    with h5py.File(path, "a") as fh:
        _swap_for_strings(fh, "nodes/p/0", "dynamics_params", N)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"error: {path}:/nodes/p/0/dynamics_params: is a dataset; rule:" in result.output
    ok = CliRunner().invoke(main, ["validate", str(valid["edges"])])
    assert ok.exit_code == 0, ok.output
