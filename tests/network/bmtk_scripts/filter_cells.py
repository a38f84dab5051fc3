"""bmtk style (filter models): per-node (N, 2) parameter arrays, type properties None for some types."""

import numpy as np
from bmtk.builder import NetworkBuilder

rng = np.random.RandomState(3)
lgn = NetworkBuilder("lgn")
for template, sep, partner in [("lgnmodel:tOFF_TF15", None, None), ("lgnmodel:sONsOFF_001", 6.0, "sON.json")]:
    n = 5
    lgn.add_nodes(
        N=n,
        model_type="virtual",
        model_template=template,
        dynamics_params="tOFF.json",
        non_dom_params=partner,
        sf_sep=sep,
        x=rng.uniform(0, 240, n),
        y=rng.uniform(0, 120, n),
        kpeaks=rng.uniform(5, 20, (n, 2)),
        weights=rng.uniform(-1, 1, (n, 2)),
        delays=np.zeros((n, 2)),
        ei="e",
    )
lgn.build()
lgn.save(output_dir="network")
