"""Biophysics per section type: passive properties and mechanism densities.

The description is a mapping (or a JSON/YAML file holding one)::

    {
      "all":  {"properties": {"Ra": 100.0, "cm": 1.0}},
      "soma": {"mechanisms": {"pas": {"g": 1e-4, "e": -70.0},
                              "nlhh": {"gnabar": 0.12, "gkbar": 0.036}},
               "ions": {"ena": 50.0, "ek": -77.0}},
      "dend": {"mechanisms": {"pas": {"g": 1e-4, "e": -70.0}}}
    }

Section types are ``soma``, ``axon``, ``dend``, ``apic`` and ``all``
(applied first). in_silico_framework's cell parameter layout is accepted as
well: labels ``Soma``, ``Dendrite``, ``ApicalDendrite``, ``AIS``, ``Myelin``
and ``mechanisms: {range: {name: {param: value, spatial: uniform}}}``.
Only uniform densities are supported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from neuroloom.errors import SimulationError
from neuroloom.sim.neuron.morphology import Morphology

__all__ = ["apply_biophysics", "read_biophysics"]

_ALIASES = {
    "Soma": "soma",
    "Dendrite": "dend",
    "ApicalDendrite": "apic",
    "AIS": "axon",
    "Myelin": "axon",
    "Axon": "axon",
    "basal": "dend",
    "apical": "apic",
}
_IGNORED_KEYS = {"filename", "cell_modify_functions"}


def read_biophysics(source: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], str]:
    """The biophysics mapping and a label naming where it came from (for messages)."""
    if isinstance(source, Mapping):
        return dict(source), "the biophysics dict"
    path = Path(source)
    if not path.is_file():
        raise SimulationError(f"biophysics file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise SimulationError(f"biophysics file {path} is not valid JSON/YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SimulationError(f"biophysics file {path} must hold a mapping of section type -> settings")
    if "neuron" in data and isinstance(data["neuron"], Mapping):  # a whole ISF cell parameter file
        data = data["neuron"]
    return dict(data), str(path)


def _mechanisms(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    mechs = dict(spec.get("mechanisms", {}) or {})
    if "range" in mechs or "global" in mechs:  # ISF nesting
        mechs = dict(mechs.get("range", {}) or {})
    return {str(k): dict(v or {}) for k, v in mechs.items()}


def _properties(sections: list[Any], spec: Mapping[str, Any], where: str) -> None:
    """Section properties: ``Ra`` per section, ``cm`` per segment."""
    for name, value in (spec.get("properties", {}) or {}).items():
        if name not in {"Ra", "cm"}:
            raise SimulationError(f"{where}: unknown section property {name!r}; use Ra or cm")
        for sec in sections:
            if name == "Ra":
                sec.Ra = float(value)
            else:
                for seg in sec:
                    seg.cm = float(value)


def _insert(sec: Any, mech: str, params: Mapping[str, Any], where: str) -> None:
    """Insert one mechanism into a section and set its parameters on every segment."""
    try:
        sec.insert(mech)
    except ValueError as exc:
        raise SimulationError(
            f"{where}: NEURON has no mechanism {mech!r}; load its .mod file (mechanisms=...) or fix the name"
        ) from exc
    for param, value in params.items():
        attr = f"{param}_{mech}"
        try:
            for seg in sec:
                setattr(seg, attr, float(value))
        except (AttributeError, NameError, LookupError) as exc:
            raise SimulationError(f"{where}: mechanism {mech!r} has no parameter {param!r}") from exc


def _apply(sections: list[Any], spec: Mapping[str, Any], where: str) -> None:
    _properties(sections, spec, where)
    for mech, params in _mechanisms(spec).items():
        spatial = params.pop("spatial", "uniform")
        if spatial != "uniform":
            raise SimulationError(
                f"{where}: mechanism {mech!r} has spatial={spatial!r}; only 'uniform' densities are supported"
            )
        for sec in sections:
            _insert(sec, mech, params, where)
    for ion, value in (spec.get("ions", {}) or {}).items():
        for sec in sections:
            try:
                setattr(sec, ion, float(value))
            except (AttributeError, NameError, LookupError) as exc:
                raise SimulationError(
                    f"{where}: cannot set {ion!r}; insert a mechanism that uses that ion first"
                ) from exc


def apply_biophysics(morphology: Morphology, source: Mapping[str, Any] | str | Path) -> None:
    """Insert mechanisms and set densities and properties on every section type named in ``source``."""
    data, origin = read_biophysics(source)
    items: list[tuple[str, Mapping[str, Any]]] = []
    for raw, spec in data.items():
        if raw in _IGNORED_KEYS:
            continue
        kind = _ALIASES.get(raw, raw)
        if kind not in {"all", "soma", "axon", "dend", "apic"}:
            raise SimulationError(
                f"{origin}: unknown section type {raw!r}; use all, soma, axon, dend or apic"
            )
        if not isinstance(spec, Mapping):
            raise SimulationError(f"{origin}: the entry for {raw!r} must be a mapping")
        items.append((kind, spec))
    items.sort(key=lambda item: item[0] != "all")  # "all" first, then specific types
    for kind, spec in items:
        sections = morphology.all_sections() if kind == "all" else morphology.sections.get(kind, [])
        _apply(sections, spec, f"{origin} [{kind}]")
