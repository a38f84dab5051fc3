"""bmtk style: connection_rule=int, node_id filters, three networks feeding each other."""

from bmtk.builder import NetworkBuilder

targets = NetworkBuilder("targets")
targets.add_nodes(
    N=3,
    model_type="point_neuron",
    model_template="nest:iaf_psc_delta",
    dynamics_params="iaf_psc_delta_exc.json",
)
targets.build()
targets.save(output_dir="network")

sources = NetworkBuilder("sources")
sources.add_nodes(
    N=2,
    model_type="point_neuron",
    model_template="nest:iaf_psc_delta",
    dynamics_params="iaf_psc_delta_exc.json",
)
for s, t, params in [(0, 0, "stdp_exc_1.json"), (1, 1, "stdp_exc_2.json")]:
    sources.add_edges(
        source=sources.nodes(node_id=s),
        target=targets.nodes(node_id=t),
        connection_rule=1,
        syn_weight=15.0,
        delay=1.0,
        dynamics_params=params,
        model_template="stdp_synapse",
    )
sources.add_edges(
    source=sources.nodes(),
    target=targets.nodes(node_id=2),
    connection_rule=2,
    syn_weight=15.0,
    delay=1.0,
    dynamics_params="stdp_exc_3.json",
    model_template="stdp_synapse",
)
sources.build()
sources.save(output_dir="network")

virtual = NetworkBuilder("virtual")
virtual.add_nodes(N=10, model_type="virtual")
virtual.add_edges(
    target=sources.nodes(),
    connection_rule=1,
    syn_weight=4.2,
    delay=1.5,
    dynamics_params="static_exc.json",
    model_template="static_synapse",
)
virtual.build()
virtual.save(output_dir="network")
