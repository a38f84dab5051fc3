"""The study's networks: built from ``[network]`` rules once per network point, or an existing circuit.

A built network lives in ``<study>/network/`` (SONATA nodes, edges, types
tables, one ``dynamics_params`` JSON per population, ``circuit_config.json``)
with ``network.json`` holding the content hash of the (resolved) ``[network]``
section it was built from: running the study file again reuses it, and a
changed section is refused once runs exist (their results belong to the old
network). When ``[network]`` references run parameters (``p = "$conn.p"``),
each distinct network point is built once into ``<study>/network/<hash>/``
and shared by every run of that point (a grid over ``(p, g, rate)`` builds
one network per ``p``).

An external circuit (``[network] circuit``) is checksummed
(:func:`circuit_checksum`): the study records the checksum with its first
runs and refuses to run again on a circuit whose files changed since.

Each population is one :class:`neuroloom.network.Network` (bmtk's unit), each
connection one ``add_edges`` call with a vectorised rule; edges between the
same two populations form one SONATA edge population ``<source>_to_<target>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom._io.atomic import remove_path, tmp_name, write_json
from neuroloom._io.names import NETWORK_DIR as NETWORK_DIR  # re-exported
from neuroloom._io.names import NETWORK_INFO as NETWORK_INFO
from neuroloom.errors import StudyFileError
from neuroloom.studyfile.spec import ConnectionSpec, NetworkSpec

__all__ = [
    "NETWORK_DIR",
    "build_network",
    "circuit_checksum",
    "network_folder",
    "network_hash",
    "scale_weights",
]


def network_hash(spec: NetworkSpec) -> str:
    """The content hash of a built network's (resolved) spec: its folder name when per point."""
    return _spec_hash(spec)


def network_folder(study_path: Path, spec: NetworkSpec, per_point: bool) -> Path:
    """Folder of the network of ``spec``: ``<study>/network`` or ``<study>/network/<hash>`` per point."""
    folder = study_path / NETWORK_DIR
    return folder / network_hash(spec) if per_point else folder


def _circuit_files(value: Any, found: set[Path]) -> None:
    if isinstance(value, Mapping):
        for item in value.values():
            _circuit_files(item, found)
    elif isinstance(value, list):
        for item in value:
            _circuit_files(item, found)
    elif isinstance(value, str) and value:
        path = Path(value)
        if path.is_file():
            found.add(path)
        elif path.is_dir() and path != Path("/"):
            found.update(p for p in path.rglob("*") if p.is_file())


def circuit_checksum(circuit: Path) -> str:
    """Checksum of a circuit config and every file it names (node, edge, type and model files).

    Names enter relative to the config's folder, so a moved circuit keeps its checksum.
    """
    from neuroloom.sonata.config import read_circuit_config

    found = {circuit.resolve()}
    _circuit_files(read_circuit_config(circuit), found)
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(found):
        digest.update(Path(os.path.relpath(path, circuit.parent.resolve())).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _spec_hash(spec: NetworkSpec) -> str:
    text = json.dumps(
        {
            "populations": [p.__dict__ for p in spec.populations],
            "connections": [c.__dict__ for c in spec.connections],
            "seed": spec.seed,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _rule(conn: ConnectionSpec, seed: int) -> Any:
    from neuroloom.network import rules

    if conn.rule == "fixed_probability":
        assert conn.p is not None
        return rules.FixedProbability(conn.p, autapses=conn.autapses)
    if conn.rule == "fixed_indegree":
        assert conn.k is not None
        return rules.FixedInDegree(conn.k, autapses=conn.autapses)
    if conn.rule == "fixed_outdegree":
        assert conn.k is not None
        return rules.FixedOutDegree(conn.k, autapses=conn.autapses, seed=seed)
    return rules.AllToAll(1, autapses=conn.autapses)


def _check_models(spec: NetworkSpec, file: Path | str) -> None:
    from neuroloom.sim.point import MODELS

    for pop in spec.populations:
        if not pop.virtual and pop.model not in MODELS:
            raise StudyFileError(
                f"{file}: [network.populations.{pop.name}] model = {pop.model!r} is not a point-neuron "
                f"model the simulators support; use one of {sorted(MODELS)} or 'virtual' (spike sources)"
            )
        unknown = sorted(set(pop.params) - set(MODELS[pop.model].defaults)) if not pop.virtual else []
        if unknown:
            raise StudyFileError(
                f"{file}: [network.populations.{pop.name}] params {unknown} are not "
                f"parameters of {pop.model} "
                f"(parameters: {sorted(MODELS[pop.model].defaults)})"
            )


def _write(spec: NetworkSpec, folder: Path, progress: bool) -> None:
    from neuroloom.network import Network

    rng = np.random.default_rng(int(spec.seed))
    nets: dict[str, Network] = {}
    for k, pop in enumerate(spec.populations):
        net = Network(pop.name, seed=spec.seed + 7919 * (k + 1))
        props: dict[str, Any] = dict(pop.properties)
        if pop.virtual:
            props["model_type"] = "virtual"
        else:
            props.update(
                model_type="point_neuron",
                model_template=f"nest:{pop.model}",
                dynamics_params=f"{pop.name}.json",
            )
            write_json(folder / f"{pop.name}.json", pop.params)
            if pop.initial_v is not None:
                low, high = pop.initial_v
                props["V_m"] = low + rng.random(pop.n) * (high - low)
        net.add_nodes(N=pop.n, **props)
        nets[pop.name] = net
    for k, conn in enumerate(spec.connections):
        source = nets[conn.source]
        for target in conn.targets:
            source.add_edges(
                source=source.nodes(),
                target=nets[target].nodes(),
                connection_rule=_rule(conn, spec.seed + k),
                syn_weight=conn.weight,
                delay=conn.delay,
                model_template="static_synapse",
            )
    for net in nets.values():
        net.build(progress=progress)
        net.save(folder)


def build_network(
    spec: NetworkSpec,
    study_path: Path,
    *,
    file: Path | str = "",
    locked: bool = False,
    progress: bool = True,
    per_point: bool = False,
) -> Path:
    """Build the network of ``spec`` into its folder (or reuse it); return its circuit config.

    ``spec`` holds resolved values; ``per_point`` puts it in ``<study>/network/<hash>``.

    Raises
    ------
    StudyFileError
        If a model is unknown, or the section changed after runs started (``locked``).
    """
    if spec.circuit is not None:
        return spec.circuit
    _check_models(spec, file)
    folder = network_folder(study_path, spec, per_point)
    digest = _spec_hash(spec)
    info_path = folder / NETWORK_INFO
    if info_path.is_file():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info.get("hash") == digest:
            return folder / "circuit_config.json"
        if locked and not per_point:
            raise StudyFileError(
                f"{file}: the [network] section changed since study {study_path} built its network and ran; "
                "give the study a new [study] path (or delete the old study) to build the new network"
            )
    work = folder.parent / tmp_name()
    work.mkdir(parents=True)
    try:
        _write(spec, work, progress)
        write_json(
            work / NETWORK_INFO, {"hash": digest, "populations": {p.name: p.n for p in spec.populations}}
        )
        if folder.exists():
            remove_path(folder)
        work.rename(folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder / "circuit_config.json"


def scale_weights(network: Any, scales: Mapping[str, float], where: str) -> Any:
    """A copy of a :class:`~neuroloom.sim.point.PointNetwork` with weights multiplied per projection.

    Keys of ``scales`` name an edge population (``inh_to_exc``) or a source
    population (every projection leaving it); an edge population name wins.
    """
    from dataclasses import replace

    from neuroloom.sim.point import PointNetwork

    names = {p.name for p in network.projections}
    sources = {p.source for p in network.projections}
    unknown = sorted(set(scales) - names - sources)
    if unknown:
        raise StudyFileError(
            f"{where}: weight_scale names {unknown}, which is neither an edge population {sorted(names)} nor "
            f"a source population {sorted(sources)} of the circuit"
        )
    projections = []
    for proj in network.projections:
        factor = scales.get(proj.name, scales.get(proj.source))
        projections.append(proj if factor is None else replace(proj, weights=proj.weights * float(factor)))
    return PointNetwork(network.populations, projections)
