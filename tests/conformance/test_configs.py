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

from neuroloom.sonata import Circuit, read_circuit_config, read_simulation_config
from neuroloom.sonata.config import population_properties
from neuroloom.sonata.types_csv import read_types

from .corpus import files, path_of

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
                got = (
                    mine.get("alternate_morphologies", {})
                    if key == "alternate_morphology_formats"
                    else mine.get(key, "")
                )
                # libsonata gives None or "" for an absent path, depending on the key
                assert (got or None) == (expected or None), (
                    f"{rel}: {kind} {name}.{key}: neuroloom {got!r}, libsonata {expected!r}"
                )


# What libsonata (a recent release, which follows the BBP extensions of the
# spec) refuses in the corpus's simulation configs, all of it SONATA v1 / bmtk
# as NEST, NEURON and bmtk run it. The copy handed to libsonata changes only:
SIM_PATCHES = (
    "run.random_seed added (libsonata requires it)",
    "run.electrodes_file moved into the lfp reports (libsonata no longer takes it in run)",
    "spikes_sort_order 'time' -> 'by_time' (bmtk's spelling)",
    "target_simulator other than NEURON/CORENEURON dropped",
    "input module 'h5' -> 'synapse_replay' with spike_file (bmtk's spike input)",
    "input module 'IClamp' -> 'linear' with amp_start = amp (bmtk's current clamp)",
    "reports get type 'compartment', dt, start_time, end_time and a known 'sections' (bmtk defaults)",
    "modification types 'TTX' / 'ConfigureAllSections' -> 'ttx' / 'configure_all_sections'",
    "inputs whose module does not fit their input_type dropped (libsonata's own test config has"
    " 'extracellular_stimulation' with module 'synapse_replay')",
)
MISMATCHED_INPUTS = {("extracellular_stimulation", "synapse_replay")}
PATCHED_KEYS = {"module", "sections", "target_simulator", "random_seed", "type"}


def _sim_patched(raw: dict[str, Any]) -> dict[str, Any]:
    run = raw.setdefault("run", {})
    run.setdefault("random_seed", 0)
    electrodes = run.pop("electrodes_file", None)
    output = raw.setdefault("output", {})
    if output.get("spikes_sort_order") == "time":
        output["spikes_sort_order"] = "by_time"
    if raw.get("target_simulator", "NEURON") not in NEURON_LIKE:
        raw.pop("target_simulator")
    for mod in raw.get("conditions", {}).get("modifications", []):
        mod["type"] = {"TTX": "ttx", "ConfigureAllSections": "configure_all_sections"}.get(
            mod["type"], mod["type"]
        )
    inputs = raw.get("inputs", {})
    for name in [k for k, v in inputs.items() if (v.get("input_type"), v.get("module")) in MISMATCHED_INPUTS]:
        del inputs[name]
    for spec in inputs.values():
        if spec.get("module") == "h5":
            spec["module"] = "synapse_replay"
            spec["spike_file"] = spec.pop("input_file")
            spec.setdefault("delay", 0.0)
            spec.setdefault("duration", run["tstop"])
        elif spec.get("module") == "IClamp":
            spec["module"] = "linear"
            spec["amp_start"] = spec["amp"]
    for report in raw.get("reports", {}).values():
        report.setdefault("type", "compartment")
        report.setdefault("dt", run["dt"])
        report.setdefault("start_time", 0.0)
        report.setdefault("end_time", run["tstop"])
        if report.get("sections") not in (None, "soma", "axon", "dend", "apic", "all"):
            report["sections"] = "soma"
        if report["type"] == "lfp":
            report.pop("variable_name", None)
            report.setdefault("electrodes_file", electrodes)
    return raw


def _normal(value: Any) -> Any:
    if hasattr(value, "name") and type(value).__module__.startswith("libsonata"):
        return value.name
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _compare_section(where: str, ours: dict[str, Any], lib: Any, skip: set[str] = PATCHED_KEYS) -> int:
    """Compare every key of ``ours`` that libsonata exposes as an attribute; return how many."""
    n = 0
    for key, value in ours.items():
        if key in skip or isinstance(value, (dict, list)) or not hasattr(lib, key):
            continue
        expected = _normal(getattr(lib, key))
        got = _normal(value)
        if key in ("input_file", "spike_file", "electrodes_file") and got is None:
            continue
        assert got == expected, f"{where}.{key}: neuroloom {got!r}, libsonata {expected!r}"
        n += 1
    return n


@pytest.mark.parametrize("rel", files("simulation_config"))
def test_simulation_config_equal_libsonata(rel: str) -> None:
    path = path_of(rel)
    ours = read_simulation_config(path)
    raw = json.loads(path.read_text())
    try:
        libsonata.SimulationConfig.from_file(str(path))
    except libsonata.SonataError:
        pass  # every corpus simulation config needs at least one patch (see SIM_PATCHES)
    theirs = libsonata.SimulationConfig(json.dumps(_sim_patched(raw)), str(path.parent))
    n = _compare_section("run", ours["run"], theirs.run)
    n += _compare_section("output", ours["output"], theirs.output)
    n += _compare_section("conditions", ours.get("conditions", {}), theirs.conditions)
    n += _compare_section("/", {k: v for k, v in ours.items() if k != "_path"}, theirs)
    assert ours.get("network", str(path.parent / "circuit_config.json")) == theirs.network
    assert ours.get("metadata", {}) == dict(theirs.metadata)
    assert ours.get("beta_features", {}) == dict(theirs.beta_features)
    inputs = {
        k: v
        for k, v in ours.get("inputs", {}).items()
        if (v.get("input_type"), v.get("module")) not in MISMATCHED_INPUTS
    }
    assert sorted(inputs) == sorted(theirs.list_input_names)
    for name, spec in inputs.items():
        n += _compare_section(f"inputs.{name}", spec, theirs.input(name))
        if "input_file" in spec:  # bmtk's key for the spike file
            assert spec["input_file"] == theirs.input(name).spike_file
    assert sorted(ours.get("reports", {})) == sorted(theirs.list_report_names)
    for name, spec in ours.get("reports", {}).items():
        skip = PATCHED_KEYS | ({"variable_name"} if spec.get("type") == "lfp" else set())
        n += _compare_section(f"reports.{name}", spec, theirs.report(name), skip)
    assert n >= 5, f"{rel}: only {n} values compared"
