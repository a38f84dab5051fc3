"""bmtk style (population models): one node per population, synapse counts given as floats (nsyns=N / 4)."""

from bmtk.builder import NetworkBuilder

n_exc = 200.0  # a float, as rate-model scripts compute it
pops = NetworkBuilder("pops")
for name, ei in [("exc", "e"), ("inh", "i")]:
    pops.add_nodes(pop_name=name, ei=ei, model_type="population", model_template="dipde:Internal")
for src, trg, count, weight in [("e", "e", n_exc, 0.2), ("e", "i", n_exc, 0.2), ("i", "e", n_exc / 4, -0.5)]:
    pops.add_edges(
        source={"ei": src},
        target={"ei": trg},
        nsyns=count,
        syn_weight=weight,
        delay=0.002,
        dynamics_params=f"{src}_to_{trg}.json",
    )
pops.build()
pops.save(output_dir="network")

drive = NetworkBuilder("drive")
drive.add_nodes(pop_name="bkg", ei="e", model_type="virtual")
drive.add_edges(target=pops.nodes(ei="e"), nsyns=n_exc / 2, syn_weight=0.1, delay=0.002)
drive.build()
drive.save(output_dir="network")
