"""bmtk style (biophysical): synapse locations on the target's SWC morphology with get_swc, per-edge
section ids as add_properties columns, a virtual input network."""

import os

import numpy as np
from bmtk.builder import NetworkBuilder
from bmtk.builder.bionet.swc_reader import get_swc

np.random.seed(11)
os.makedirs("morphologies", exist_ok=True)
with open("morphologies/small_cell.swc", "w") as fh:  # soma, forked basal dendrite, apical trunk, axon
    fh.write(
        "1 1 0 0 0 6 -1\n2 3 6 0 0 1 1\n3 3 40 5 0 0.8 2\n4 3 80 30 0 0.6 3\n5 3 80 -20 0 0.6 3\n"
        "6 4 0 6 0 2 1\n7 4 0 90 0 1.5 6\n8 4 5 200 0 1 7\n9 2 0 -6 0 1 1\n10 2 0 -60 0 0.6 9\n"
    )

cortex = NetworkBuilder("cortex")
cortex.add_nodes(
    N=4,
    x=np.random.uniform(-50, 50, 4),
    y=np.random.uniform(0, 100, 4),
    z=np.random.uniform(-50, 50, 4),
    rotation_angle_yaxis=np.random.uniform(0, 2 * np.pi, 4),
    morphology="small_cell.swc",
    model_processing="aibs_perisomatic",
    model_type="biophysical",
    model_template="ctdb:Biophys1.hoc",
    ei="e",
)


def synapse_place(source, target, sections=("soma", "apical", "basal"), span=(0.0, 1e20)):
    cell = get_swc(target, morphology_dir="morphologies", use_cache=True)
    sec_ids, xs = cell.choose_sections(sections, span, n_sections=1)
    swc_id, swc_dist = cell.get_swc_id(sec_ids[0], xs[0])
    return [sec_ids[0], xs[0], swc_id, swc_dist]


def sparse(source, target, p):
    return int(source.node_id != target.node_id and np.random.random() < p) * np.random.randint(1, 4)


cm = cortex.add_edges(
    source={"ei": "e"},
    target={"ei": "e"},
    connection_rule=sparse,
    connection_params={"p": 0.6},
    syn_weight=1e-4,
    delay=2.0,
    dynamics_params="AMPA_ExcToExc.json",
    model_template="Exp2Syn",
)
cm.add_properties(
    ["afferent_section_id", "afferent_section_pos", "afferent_swc_id", "afferent_swc_pos"],
    rule=synapse_place,
    rule_params={"sections": ["basal", "apical"], "span": [30.0, 150.0]},
    dtypes=[int, float, int, float],
)
cortex.build()
cortex.save(output_dir="network")

inputs = NetworkBuilder("inputs")
inputs.add_nodes(N=6, model_type="virtual", pop_name="thalamus")
cm = inputs.add_edges(
    target=cortex.nodes(),
    connection_rule=lambda s, t: np.random.randint(0, 3),
    syn_weight=2e-4,
    delay=1.0,
    dynamics_params="AMPA_ExcToExc.json",
    model_template="Exp2Syn",
)
cm.add_properties(
    ["afferent_section_id", "afferent_section_pos", "afferent_swc_id", "afferent_swc_pos"],
    rule=synapse_place,
    dtypes=[int, float, int, float],
)
inputs.build()
inputs.save(output_dir="network")
