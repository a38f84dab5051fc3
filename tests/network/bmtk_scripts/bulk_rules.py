"""bmtk style: all_to_one and one_to_all rules, per-edge properties (several names and dtypes),
distance_connector (Python's random), edge/node type ids given by hand, gap junctions."""

import random

import numpy as np
from bmtk.builder import NetworkBuilder
from bmtk.builder.auxi.edge_connectors import connect_random, distance_connector
from bmtk.builder.auxi.node_params import positions_cuboid, positions_list

np.random.seed(7)
random.seed(7)

net = NetworkBuilder("cortex")
net.add_nodes(
    N=40,
    positions=positions_cuboid(N=40, min_dist=10.0),
    pop_name="pyr",
    ei="e",
    model_type="point_neuron",
    model_template="nest:iaf_psc_alpha",
    dynamics_params="pyr.json",
)
net.add_nodes(
    N=3,
    positions=positions_list(np.array([(0, 0, 0), (0, 5, 0), (5, 5, 5)], dtype=float)),
    pop_name="pv",
    ei="i",
    node_type_id=500,
    model_type="point_neuron",
    model_template="nest:iaf_psc_alpha",
    dynamics_params="pv.json",
)
net.add_nodes(
    N=12,
    positions=np.random.rand(12, 3) * 50.0,
    pop_name="sst",
    ei="i",
    model_type="point_neuron",
    model_template="nest:iaf_psc_alpha",
    dynamics_params="sst.json",
)


def to_one(sources, target, p):
    hit = np.random.random(len(sources)) < p
    return [int(h) if s.node_id != target.node_id else 0 for s, h in zip(sources, hit)]


def from_one(source, targets):
    return [np.random.randint(0, 3) for _ in targets]


def weight_and_delay(source, target):
    d = np.linalg.norm(np.asarray(source["positions"]) - np.asarray(target["positions"]))
    return 1.0 + d * np.random.random(), int(1 + d // 10)


cm = net.add_edges(
    source={"ei": "e"},
    target={"ei": "e"},
    connection_rule=to_one,
    connection_params={"p": 0.3},
    iterator="all_to_one",
    model_template="static_synapse",
    dynamics_params="e2e.json",
)
cm.add_properties(["syn_weight", "delay_steps"], rule=weight_and_delay, dtypes=[float, int])
net.add_edges(
    source={"pop_name": "pv"},
    target={"ei": "e"},
    connection_rule=from_one,
    iterator="one_to_all",
    edge_type_id=900,
    syn_weight=-3.0,
    delay=1.0,
    model_template="static_synapse",
)
net.add_edges(
    source={"pop_name": "sst"},
    target={"pop_name": ["pyr", "pv"]},
    connection_rule=distance_connector,
    connection_params={"d_weight_min": 0.0, "d_weight_max": 0.5, "d_max": 60.0, "nsyn_min": 1, "nsyn_max": 4},
    syn_weight=-1.0,
    delay=1.0,
    model_template="static_synapse",
)
net.add_edges(
    source={"ei": "e"},
    target={"pop_name": "sst"},
    connection_rule=connect_random,
    connection_params={"nsyn_min": 0, "nsyn_max": 2},
    syn_weight=2.0,
    delay=1.5,
    model_template="static_synapse",
)
net.add_gap_junctions(
    source={"pop_name": "sst"},
    target={"pop_name": "sst"},
    resistance=0.5,
    connection_rule=lambda s, t: int(s.node_id != t.node_id and np.random.random() < 0.2),
)
net.build()
net.save(output_dir="network")
