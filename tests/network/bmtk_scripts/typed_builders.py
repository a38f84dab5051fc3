"""bmtk style: the simulator-flavoured builders' add_nodes (BioNetBuilder, PointNetBuilder, PopNetBuilder):
named arguments, None for no property, model_type defaults. (bmtk's own add_edges of these classes raise
TypeError, so scripts connect them from a NetworkBuilder.)"""

import numpy as np
from bmtk.builder.networks import BioNetBuilder, NetworkBuilder, PointNetBuilder, PopNetBuilder

np.random.seed(2)
bio = BioNetBuilder("bio")
bio.add_nodes(
    N=3,
    model_type="biophysical",
    model_template="ctdb:Biophys1.hoc",
    model_processing="aibs_perisomatic",
    dynamics_params="fit.json",
    morphology="cell.swc",
    x=np.arange(3.0),
    y=np.zeros(3),
    z=np.ones(3),
    rotation_angle_yaxis=np.random.uniform(0, 6, 3),
    ei="e",
)
bio.add_nodes(N=2, model_type="biophysical", morphology=None, model_template="nml:cell.nml", ei="i")
bio.build()
bio.save(output_dir="network")

point = PointNetBuilder("point")
point.add_nodes(N=4, model_template="nest:iaf_psc_alpha", dynamics_params="lif.json", pop_name="lif")
point.add_nodes(N=2, model_type="virtual", pop_name="input")
point.build()
point.save(output_dir="network")

pops = PopNetBuilder("pops")
pops.add_nodes(model_template="dipde:Internal", dynamics_params="exc.json", pop_name="exc")
pops.add_nodes(model_template="dipde:Internal", dynamics_params="inh.json", pop_name="inh")
pops.build()
pops.save(output_dir="network")

inputs = NetworkBuilder("inputs")
inputs.add_nodes(N=5, model_type="virtual")
for net, rule in [(bio, lambda s, t: np.random.randint(0, 3)), (point, 2), (pops, 40)]:
    inputs.add_edges(target=net.nodes(), connection_rule=rule, syn_weight=1e-3, delay=2.0)
inputs.build()
inputs.save(output_dir="network")
