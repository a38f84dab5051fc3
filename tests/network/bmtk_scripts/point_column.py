"""bmtk style: point cells in a column, per-pair rules drawing from np.random, a virtual input network."""

import numpy as np
from bmtk.builder import NetworkBuilder
from bmtk.builder.auxi.node_params import positions_columinar, xiter_random

np.random.seed(100)

cells = [
    {
        "model_name": "Scnn1a",
        "ei": "e",
        "model_template": "nest:iaf_psc_alpha",
        "dynamics_params": "472363762_point.json",
    },
    {
        "model_name": "Rorb",
        "ei": "e",
        "model_template": "nest:iaf_psc_alpha",
        "dynamics_params": "473863510_point.json",
    },
    {
        "model_name": "PV1",
        "ei": "i",
        "model_template": "nest:iaf_psc_alpha",
        "dynamics_params": "472912177_point.json",
    },
]

internal = NetworkBuilder("internal")
for props in cells:
    n = 60 if props["ei"] == "e" else 25
    pos = positions_columinar(N=n, center=[0, 10.0, 0], max_radius=50.0, height=200.0)
    internal.add_nodes(
        N=n,
        x=pos[:, 0],
        y=pos[:, 1],
        z=pos[:, 2],
        tuning_angle=xiter_random(N=n, min_x=0.0, max_x=360.0),
        model_type="point_neuron",
        orig_model="biophysical",
        **props,
    )
internal.add_nodes(
    N=40,
    model_type="point_neuron",
    orig_model="intfire",
    ei="e",
    model_name="LIF_exc",
    model_template="nest:iaf_psc_alpha",
    dynamics_params="IntFire1_exc_point.json",
)


def n_connections(src, trg, prob=0.1, min_syns=1, max_syns=5):
    if src.node_id == trg.node_id:
        return 0
    return 0 if np.random.uniform() > prob else np.random.randint(min_syns, max_syns)


def tuned(src, trg):
    # only nodes whose add_nodes gave tuning_angle have it (bmtk semantics)
    if "tuning_angle" not in src or "tuning_angle" not in trg:
        return 0
    return 1 if abs(src["tuning_angle"] - trg["tuning_angle"]) < 40.0 else 0


internal.add_edges(
    source={"ei": "e"},
    target={"ei": "e", "orig_model": "biophysical"},
    connection_rule=n_connections,
    connection_params={"prob": 0.2},
    dynamics_params="ExcToExc.json",
    model_template="static_synapse",
    syn_weight=2.5,
    delay=2.0,
)
internal.add_edges(
    source={"ei": "i"},
    target={"ei": "e"},
    connection_rule=n_connections,
    dynamics_params="InhToExc.json",
    model_template="static_synapse",
    syn_weight=-6.5,
    delay=2.0,
)
internal.add_edges(
    source={"ei": "e"},
    target={"ei": "i"},
    connection_rule=tuned,
    dynamics_params="ExcToInh.json",
    model_template="static_synapse",
    syn_weight=5.0,
    delay=2.0,
)
internal.build()
internal.save(output_dir="network")

external = NetworkBuilder("external")
external.add_nodes(N=50, model_type="virtual", ei="e")
external.add_edges(
    target=internal.nodes(ei="e", orig_model="biophysical"),
    source=external.nodes(),
    connection_rule=lambda *_: np.random.randint(0, 5),
    dynamics_params="ExcToExc.json",
    model_template="static_synapse",
    delay=2.0,
    syn_weight=11.0,
)
external.add_edges(
    target=internal.nodes(orig_model="intfire"),
    source=external.nodes(),
    connection_rule=lambda *_: np.random.randint(0, 5),
    dynamics_params="instantaneousExc.json",
    model_template="static_synapse",
    delay=2.0,
    syn_weight=13.0,
)
external.build()
external.save(output_dir="network")
