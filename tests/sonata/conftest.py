"""Small SONATA fixtures written by neuroloom and by bmtk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def bmtk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small network written by bmtk itself (gzip, node_id_to_range, positions (N, 3), 2 edge groups)."""
    from bmtk.builder import NetworkBuilder

    out = tmp_path_factory.mktemp("bmtk")
    rng = np.random.default_rng(3)
    np.random.seed(3)
    net = NetworkBuilder("v1")
    net.add_nodes(
        N=6,
        positions=rng.random((6, 3)) * 100,
        model_type="point_neuron",
        pop_name="e",
        ei="e",
        tuning=np.arange(6.0),
    )
    net.add_nodes(
        N=4,
        positions=rng.random((4, 3)) * 100,
        model_type="point_neuron",
        pop_name="i",
        ei="i",
        depth=np.arange(4) * 10.0,
    )

    def n_syn(source, target):  # type: ignore[no-untyped-def]
        return int(np.random.randint(0, 3))

    cm = net.add_edges(
        source={"ei": "e"},
        target={"ei": "i"},
        connection_rule=n_syn,
        syn_weight=2.0,
        delay=1.5,
        dynamics_params="e2i.json",
        model_template="exp2syn",
    )
    cm.add_properties("syn_weight", rule=lambda s, t: float(np.random.rand()), dtypes=float)
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=3.0, delay=0.8)
    net.build()
    net.save(output_dir=str(out))
    lgn = NetworkBuilder("lgn")
    lgn.add_nodes(N=3, model_type="virtual", pop_name="lgn")
    lgn.add_edges(target=net.nodes(ei="e"), connection_rule=2, syn_weight=1.0, delay=2.0)
    lgn.build()
    lgn.save(output_dir=str(out))
    return out
