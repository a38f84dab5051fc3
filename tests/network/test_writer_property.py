"""Random property sets through the builder: libsonata opens every file and reads back the values given.

Per-node values are read with libsonata (2-D values, which libsonata does not
read as attributes, with h5py); values shared by an ``add_nodes`` /
``add_edges`` call are read from the types table.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import h5py
import libsonata
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroloom.network import NetworkBuilder
from neuroloom.sonata.types_csv import read_types

KINDS = ("str", "int", "float", "bool")
NAMES = ("alpha", "beta", "gamma", "delta")

texts = st.text(alphabet="abcxyz_", min_size=1, max_size=5)
scalars = {
    "str": texts,
    "int": st.integers(-1000, 1000),
    "float": st.floats(-1e3, 1e3, allow_nan=False, width=32),
    "bool": st.booleans(),
}


@st.composite
def node_calls(draw: Any, kinds: dict[str, str]) -> list[dict[str, Any]]:
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 5))
        props: dict[str, Any] = {"N": n}
        for name, kind in kinds.items():
            mode = draw(st.sampled_from(("shared", "per_node", "absent", "missing")))
            if mode == "shared":
                props[name] = draw(scalars[kind])
            elif mode == "per_node":
                props[name] = draw(st.lists(scalars[kind], min_size=n, max_size=n))
            elif mode == "missing" and kind in ("str", "float"):  # per node with holes
                values = draw(st.lists(scalars[kind], min_size=n, max_size=n))
                holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
                props[name] = [None if h else v for v, h in zip(values, holes)]
        if draw(st.booleans()):
            props["pair"] = [
                tuple(draw(st.lists(st.integers(0, 9), min_size=2, max_size=2))) for _ in range(n)
            ]
        if draw(st.booleans()):
            props["shape"] = (1, 2)  # a shared tuple: types table
        if draw(st.booleans()):
            props["dynamics_params"] = [{"g": float(i), "tau": 2.0 * i} for i in range(n)]
        else:
            props["dynamics_params"] = "cell.json"
        calls.append(props)
    return calls


@st.composite
def networks(draw: Any) -> dict[str, Any]:
    kinds = {
        name: draw(st.sampled_from(KINDS)) for name in draw(st.lists(st.sampled_from(NAMES), unique=True))
    }
    nets = {"a": draw(node_calls(kinds))}
    if draw(st.booleans()):
        nets["b"] = draw(node_calls(kinds))
    edges = []
    for _ in range(draw(st.integers(0, 3))):
        edges.append(
            {
                "owner": draw(st.sampled_from(sorted(nets))),
                "other": draw(st.sampled_from(sorted(nets))),
                "rule": draw(st.sampled_from(("int1", "int2", "pairs", "all_to_one"))),
                "shared": {
                    "model_template": draw(texts),
                    "delay": draw(scalars["float"]),
                    "dynamics_params": "syn.json",
                },
                "per_edge": draw(st.booleans()),
            }
        )
    return {"nodes": nets, "edges": edges}


def _pairs(source: Any, target: Any) -> int:
    return (source.node_id + 2 * target.node_id) % 3


def _to_one(sources: Any, target: Any) -> list[int]:
    return [(s.node_id + target.node_id) % 2 for s in sources]


def _weight_and_delay(source: Any, target: Any) -> tuple[float, int]:
    return source.node_id + 0.5 * target.node_id, source.node_id * 10 + target.node_id


def _build(spec: dict[str, Any], out: Path) -> dict[str, NetworkBuilder]:
    nets = {}
    for name, calls in spec["nodes"].items():
        net = NetworkBuilder(name, seed=0)
        for call in calls:
            net.add_nodes(**call)
        nets[name] = net
    for e in spec["edges"]:
        owner, other = nets[e["owner"]], nets[e["other"]]
        rule: Any = {"int1": 1, "int2": 2, "pairs": _pairs, "all_to_one": _to_one}[e["rule"]]
        cm = owner.add_edges(
            source=owner.nodes(),
            target=other.nodes(),
            connection_rule=rule,
            iterator="all_to_one" if e["rule"] == "all_to_one" else "one_to_one",
            **e["shared"],
        )
        if e["per_edge"]:
            cm.add_properties(["w", "k"], rule=_weight_and_delay, dtypes=[float, int])
    for net in nets.values():
        net.build(progress=False)
        net.save(out)
    return nets


def _expected_nodes(calls: list[dict[str, Any]], name: str) -> list[Any]:
    """The value each node was given for ``name`` (None where its call gave none)."""
    out: list[Any] = []
    for call in calls:
        value = call.get(name)
        out += list(value) if isinstance(value, list) else [value] * call["N"]
    return out


def _check_nodes(out: Path, name: str, calls: list[dict[str, Any]]) -> None:
    pop = libsonata.NodeStorage(str(out / f"{name}_nodes.h5")).open_population(name)
    n = sum(c["N"] for c in calls)
    assert pop.size == n
    types = read_types(out / f"{name}_node_types.csv", "node_type_id")
    with h5py.File(out / f"{name}_nodes.h5") as fh:  # libsonata has no accessor for node_type_id
        type_ids = fh[f"nodes/{name}/node_type_id"][()]
    every = pop.select_all()
    for prop in [*NAMES, "pair", "shape"]:
        given = _expected_nodes(calls, prop)
        if all(v is None for v in given):
            continue
        if prop in pop.attribute_names and prop != "pair":
            got = list(pop.get_attribute(prop, every))
        elif prop == "pair":
            with h5py.File(out / f"{name}_nodes.h5") as fh:
                got = [tuple(row.tolist()) for row in fh[f"nodes/{name}/0/pair"][()]]
        else:
            got = [types.loc[t, prop] for t in type_ids]
        for g, v in zip(got, given):
            if v is None:
                continue
            if isinstance(v, str):
                assert str(g) == v, prop
            elif isinstance(v, tuple) and prop == "shape":
                assert str(g).replace(" ", "") == "(1,2)"
            elif isinstance(v, tuple):
                assert tuple(float(x) for x in g) == tuple(float(x) for x in v)
            elif isinstance(g, str):
                assert g in (str(v), str(int(v))), prop
            else:
                assert float(g) == float(np.float32(v)) or float(g) == float(v), prop
    dyn = _expected_nodes(calls, "dynamics_params")
    if any(isinstance(d, dict) for d in dyn):
        got_g = pop.get_dynamics_attribute("g", every)
        for g, d in zip(got_g, dyn):
            if isinstance(d, dict):
                assert float(g) == d["g"]
            else:  # shared file name: the types table holds it
                assert np.isnan(g)
    else:
        assert set(types["dynamics_params"]) == {"cell.json"}


def _check_edges(out: Path, spec: dict[str, Any], nets: dict[str, NetworkBuilder]) -> None:
    expected: dict[tuple[str, str], list[tuple[int, int, int, Any]]] = {}
    for k, e in enumerate(spec["edges"]):
        type_id = 100 + sum(1 for f in spec["edges"][:k] if f["owner"] == e["owner"])
        n_s, n_t = nets[e["owner"]].nnodes, nets[e["other"]].nnodes
        rows = expected.setdefault((e["owner"], e["other"]), [])
        for s in range(n_s):
            for t in range(n_t):
                count = {"int1": 1, "int2": 2, "pairs": (s + 2 * t) % 3, "all_to_one": (s + t) % 2}[e["rule"]]
                reps = count if e["per_edge"] else (1 if count else 0)
                rows += [(t, s, type_id, count, e)] * reps
    for (src, trg), rows in expected.items():
        path = out / f"{src}_{trg}_edges.h5"
        pop = libsonata.EdgeStorage(str(path)).open_population(f"{src}_to_{trg}")
        assert pop.size == len(rows)
        if not rows:  # libsonata opens an empty population but cannot select from it
            continue
        every = pop.select_all()
        got_t = pop.target_nodes(every)
        got_s = pop.source_nodes(every)
        rows.sort(key=lambda r: (r[0], r[1]))
        assert list(zip(got_t, got_s)) == [(r[0], r[1]) for r in rows]
        types = read_types(path.with_name(f"{src}_{trg}_edge_types.csv"), "edge_type_id")
        with h5py.File(path) as fh:  # libsonata has no accessor for edge_type_id
            type_ids = fh[f"edges/{src}_to_{trg}/edge_type_id"][()]
        for i, (_, _, type_id, _, e) in enumerate(rows):
            assert type_ids[i] == type_id
            assert str(types.loc[type_id, "model_template"]) == e["shared"]["model_template"]
            assert float(types.loc[type_id, "delay"]) == float(e["shared"]["delay"])
        if "nsyns" in pop.attribute_names:
            nsyns = pop.get_attribute("nsyns", every)
            for i, r in enumerate(rows):
                assert nsyns[i] == (1 if r[4]["per_edge"] else r[3])
        assert ("w" in pop.attribute_names) == any(r[4]["per_edge"] for r in rows)
        if "w" in pop.attribute_names:
            w = pop.get_attribute("w", every)
            k = pop.get_attribute("k", every)
            for i, (t, s, _, _, e) in enumerate(rows):
                if e["per_edge"]:
                    assert w[i] == s + 0.5 * t and k[i] == s * 10 + t
        assert "dynamics_params" not in pop.attribute_names  # a shared file name stays in the types table


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_libsonata_reads_back_what_the_builder_was_given(spec: dict[str, Any]) -> None:
    out = Path(tempfile.mkdtemp(prefix="writer-prop-"))
    try:
        nets = _build(spec, out)
        for name, calls in spec["nodes"].items():
            _check_nodes(out, name, calls)
        _check_edges(out, spec, nets)
    finally:
        shutil.rmtree(out, ignore_errors=True)
