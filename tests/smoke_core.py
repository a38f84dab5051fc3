"""Smoke test of a plain ``pip install neuroloom`` (no extras), run by ``make smoke-core``
in its own virtualenv (``.venv-core``): a Database, a Study with the default
``processes`` backend (a lambda job, so the context must be cloudpickled), and a
SONATA read of the reference corpus (``../shared/corpus``, which must be there).

Exits non-zero with a message on the first failure.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import neuroloom as nl
from neuroloom.sonata import Circuit, open_nodes

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "sonata-examples" / "300_intfire"


def main() -> None:
    installed = Path(nl.__file__).resolve()
    assert "site-packages" in installed.parts, f"neuroloom imported from {installed}, not the install"
    extras = [m for m in ("distributed", "brian2", "nest", "pytest") if importlib.util.find_spec(m)]
    assert not extras, f"not a core-only environment: {extras} importable"
    with tempfile.TemporaryDirectory() as tmp:
        db = nl.Database(Path(tmp) / "db")
        db["a"] = np.arange(10.0)
        db["t", "frame"] = pd.DataFrame({"x": [1, 2, 3]})
        again = nl.Database(Path(tmp) / "db")
        np.testing.assert_array_equal(again["a"], np.arange(10.0))
        assert again["t", "frame"]["x"].tolist() == [1, 2, 3]

        study = nl.Study(Path(tmp) / "study", seed=1)
        study.params.add("x", 0)
        study.explore(nl.grid(x=list(range(20))))
        report = study.run(lambda run: run.params.x * 2, workers=2, progress=False)  # default: processes
        assert report.done == 20, report
        res = study.results("return")
        assert (res["return"] == res["x"] * 2).all() and len(res) == 20
        assert study.provenance()[-1]["backend"] == "processes"

    if not CORPUS.is_dir():
        sys.exit(f"the SONATA reference corpus is missing: {CORPUS}")
    nodes = open_nodes(CORPUS / "network" / "v1_nodes.h5", CORPUS / "network" / "v1_node_types.csv")
    assert nodes["v1"].size == 300
    circuit = Circuit(CORPUS / "circuit_config.json")
    assert "v1" in circuit.nodes
    print(f"core install OK: neuroloom {nl.__version__} from {installed.parent}")


if __name__ == "__main__":
    main()
