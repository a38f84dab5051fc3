"""bmtk style: node and edge types with properties only some types have (ints, floats, strings, lists)."""

import numpy as np
from bmtk.builder import NetworkBuilder

net = NetworkBuilder("mixed")
net.add_nodes(
    N=6,
    pop_name="pyr",
    model_type="biophysical",
    model_template="ctdb:Biophys1.hoc",
    morphology="pyr.swc",
    tuning_angle=np.linspace(0.0, 300.0, 6),
)
net.add_nodes(
    N=3,
    pop_name="izh",
    model_type="point_process",
    model_template="nrn:Izhikevich.hoc",
    param_a=[0.01, 0.02, 0.03],
    param_c=-55.0,
    d=10,
    n_dends=3,
)
net.add_nodes(N=2, pop_name="relay", model_type="virtual", refractory=2)
net.add_edges(
    source={"pop_name": "pyr"}, target={"pop_name": "izh"}, connection_rule=2, syn_weight=5e-3, delay=2
)
net.add_edges(
    source={"pop_name": "relay"},
    target={"pop_name": "pyr"},
    connection_rule=1,
    syn_weight=1e-3,
    n_contacts=4,
    target_sections=["basal", "apical"],
    model_template="Exp2Syn",
)
net.build()
net.save(output_dir="network")
