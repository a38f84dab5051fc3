"""Random valid networks round-trip through our writer and reader (and libsonata agrees)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import libsonata
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroloom.sonata import open_edges, open_nodes, write_edges, write_nodes

NUMERIC = ["int8", "uint16", "int32", "uint64", "float32", "float64"]


@st.composite
def networks(draw: st.DrawFn) -> dict[str, object]:
    n_nodes = draw(st.integers(1, 40))
    n_edges = draw(st.integers(0, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    node_dtypes = draw(st.lists(st.sampled_from(NUMERIC), max_size=3, unique=True))
    strings = draw(
        st.lists(st.text(alphabet="abcxyz _-", min_size=1, max_size=6), min_size=1, max_size=4, unique=True)
    )
    node_props = {f"n_{dt}": rng.integers(0, 120, n_nodes).astype(dt) for dt in node_dtypes}
    node_props["kind"] = np.array(strings)[rng.integers(0, len(strings), n_nodes)]
    edge_props = {
        f"e_{dt}": rng.integers(0, 120, n_edges).astype(dt)
        for dt in draw(st.lists(st.sampled_from(NUMERIC), max_size=3, unique=True))
    }
    return {
        "n": n_nodes,
        "src": rng.integers(0, n_nodes, n_edges),
        "trg": rng.integers(0, n_nodes, n_edges),
        "node_props": node_props,
        "edge_props": edge_props,
        "enum": draw(st.sampled_from([True, False, "auto"])),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_round_trip(net: dict) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = net["n"]
        write_nodes(folder / "n.h5", {"p": {"N": n, **net["node_props"]}}, enumerate_strings=net["enum"])
        write_edges(
            folder / "e.h5",
            "p_to_p",
            net["src"],
            net["trg"],
            source="p",
            target="p",
            source_size=n,
            target_size=n,
            properties=net["edge_props"],
        )
        nodes = open_nodes(folder / "n.h5")["p"].get()
        for name, values in net["node_props"].items():
            got = nodes[name].to_numpy()
            if values.dtype.kind in "iuf":
                assert got.dtype == values.dtype
                np.testing.assert_array_equal(got, values)
            else:
                assert list(nodes[name].astype(str)) == list(values)
        lib_nodes = libsonata.NodeStorage(str(folder / "n.h5")).open_population("p")
        assert list(lib_nodes.get_attribute("kind", lib_nodes.select_all())) == list(
            net["node_props"]["kind"]
        )
        pop = open_edges(folder / "e.h5")["p_to_p"]
        frame = pop.get(None, ["source_node_id", "target_node_id", *net["edge_props"]])
        order = np.lexsort((net["src"], net["trg"]))
        np.testing.assert_array_equal(frame["source_node_id"], net["src"][order])
        np.testing.assert_array_equal(frame["target_node_id"], net["trg"][order])
        lib = libsonata.EdgeStorage(str(folder / "e.h5")).open_population("p_to_p")
        for t in range(min(n, 5)):
            np.testing.assert_array_equal(
                pop.afferent_edges([t]).flatten(), lib.afferent_edges([t]).flatten()
            )
            np.testing.assert_array_equal(
                pop.efferent_edges([t]).flatten(), lib.efferent_edges([t]).flatten()
            )
        for name in net["edge_props"]:
            for a, b in zip(frame[name].to_numpy(), net["edge_props"][name][order]):
                assert a == b
