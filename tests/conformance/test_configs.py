"""Every circuit config, simulation config and node sets file of the corpus.

Circuit configs: manifest variables, ``components`` and per-population
overrides give the same population properties as ``libsonata.CircuitConfig``.
Where libsonata refuses a config the spec allows (or bmtk writes), the config
is handed to libsonata with only that point changed, so every other value is
still compared; the list below says which point and why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import libsonata
import pytest

from neuroloom.sonata import Circuit, read_circuit_config
from neuroloom.sonata.config import population_properties
from neuroloom.sonata.types_csv import read_types
from tests.conformance.corpus import files, path_of

# What libsonata refuses in the corpus's circuit configs (all legal SONATA v1 / bmtk):
#  - "target_simulator": "NEST": libsonata knows only NEURON and CORENEURON;
#  - no "edges" list: libsonata wants one, even empty;
#  - entries without "populations": libsonata then lists no population at all
#    (silently), where the spec takes the populations from the file.
# The copy handed to libsonata drops target_simulator when it is not NEURON /
# CORENEURON, adds "edges": [] and lists the file's populations.
NEURON_LIKE = ("NEURON", "CORENEURON")
PROPERTY_NAMES = (
    "type",
    "elements_path",
    "types_path",
    "morphologies_dir",
    "biophysical_neuron_models_dir",
    "point_neuron_models_dir",
    "mechanisms_dir",
    "alternate_morphology_formats",
)
NODE_ONLY = ("vasculature_file", "vasculature_mesh", "spatial_segment_index_dir")
EDGE_ONLY = ("spatial_synapse_index_dir", "spine_morphologies_dir")
PATCHED: dict[str, list[str]] = {}


def _patched(path: Path) -> tuple[str, list[str]]:
    """The config's JSON as libsonata accepts it, and what was changed."""
    raw: dict[str, Any] = json.loads(path.read_text())
    changes = []
    if raw.get("target_simulator", "NEURON") not in NEURON_LIKE:
        changes.append(f"target_simulator {raw.pop('target_simulator')!r} dropped")
    networks = raw.setdefault("networks", {})
    if "edges" not in networks:
        networks["edges"] = []
        changes.append("edges: [] added")
    resolved = read_circuit_config(path)["networks"]
    for kind in ("nodes", "edges"):
        for entry, ours in zip(networks.get(kind, []), resolved.get(kind, [])):
            if "populations" not in entry:
                with h5py.File(ours[f"{kind}_file"], "r") as fh:
                    entry["populations"] = {name: {} for name in fh[kind]}
                changes.append(f"{kind} populations listed")
            if kind == "nodes" and ours.get("node_types_file"):
                # libsonata's default type "biophysical" needs morphologies and
                # templates: bmtk circuits give model_type in the types CSV instead
                for pop in entry["populations"].values():
                    if "type" not in pop:
                        pop["type"] = _csv_model_type(ours["node_types_file"])
                        changes.append("nodes type from the types CSV")
    return json.dumps(raw), changes


def _csv_model_type(types_file: str) -> str:
    types = read_types(types_file, "node_type_id")
    values = set(types["model_type"]) if "model_type" in types else set()
    return values.pop() if len(values) == 1 else "point_neuron"


def _libsonata_value(props: Any, name: str) -> Any:
    value = getattr(props, name)
    return dict(value) if name == "alternate_morphology_formats" else value


@pytest.mark.parametrize("rel", files("circuit_config"))
def test_circuit_config_equal_libsonata(rel: str) -> None:
    path = path_of(rel)
    ours = read_circuit_config(path)
    circuit = Circuit(path)
    contents, changes = _patched(path)
    if changes:  # libsonata refuses the file as it is, or lists no population
        try:
            plain = libsonata.CircuitConfig.from_file(str(path))
        except libsonata.SonataError:
            pass
        else:
            assert not plain.node_populations, f"{rel}: libsonata accepts it; patched for {changes}"
    theirs = libsonata.CircuitConfig(contents, str(path.parent))
    typed_by_patch = "nodes type from the types CSV" in changes
    assert sorted(circuit.nodes.population_names) == sorted(theirs.node_populations)
    assert sorted(circuit.edges.population_names) == sorted(theirs.edge_populations)
    assert ours.get("node_sets_file", "") == theirs.node_sets_path
    for kind, names, getter, extra in (
        ("nodes", theirs.node_populations, theirs.node_population_properties, NODE_ONLY),
        ("edges", theirs.edge_populations, theirs.edge_population_properties, EDGE_ONLY),
    ):
        for name in sorted(names):
            mine = population_properties(ours, kind, name)
            lib = getter(name)
            for key in PROPERTY_NAMES + extra:
                if key == "type" and typed_by_patch and kind == "nodes":
                    continue
                expected = _libsonata_value(lib, key)
                got = mine.get("alternate_morphologies", {}) if key == "alternate_morphology_formats" else mine.get(key, "")
                # libsonata gives None or "" for an absent path, depending on the key
                assert (got or None) == (expected or None), f"{rel}: {kind} {name}.{key}: neuroloom {got!r}, libsonata {expected!r}"
