"""Every nodes and edges file of the corpus: neuroloom reads what libsonata reads.

Attributes of every dtype, ``@library`` enumerations, ``dynamics_params``
groups, implicit ids, several groups per population (libsonata refuses those:
they are compared with the spec's definition, read by hand with h5py),
afferent/efferent lookups with and without indices, and a round trip through
neuroloom's writers that libsonata reads back.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest

from neuroloom.errors import NeuroloomError
from neuroloom.sonata import open_edges, open_nodes, write_edges, write_nodes

from .corpus import CORPUS, MISSING, files, path_of
from .values import assert_same, plain

NODES_LIB = "libsonata-data/nodes1.h5"
EDGES_LIB = "libsonata-data/edges1.h5"
EDGES_NO_INDEX = "libsonata-data/edges-no-index.h5"
_NULL_DTYPES = ("double", "float", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8")

# Datasets of the corpus that break the spec. neuroloom opens the population and
# refuses to read these attributes, with an error naming the file, the dataset
# and the rule (the value is a word the message must contain).
REFUSED: dict[tuple[str, str, str], str] = {}
for _file, _pop in ((NODES_LIB, "nodes-A"), (EDGES_LIB, "edges-AB"), (EDGES_NO_INDEX, "edges-AB")):
    # "A-<dtype>": a dataset with a null dataspace (no values at all) in a group of
    # 6 rows. Rule: an attribute dataset holds one value per row of its group.
    # (libsonata returns an empty array here; neuroloom refuses.)
    for _dt in _NULL_DTYPES:
        REFUSED[(_file, _pop, f"A-{_dt}")] = "rows"
    REFUSED[(_file, _pop, "A-string")] = "rows"
    # "A-enum": an HDF5 enum dataset of 2 rows. Rules: attribute dtypes are
    # integers, floats or strings; one value per row. (libsonata refuses it too.)
    REFUSED[(_file, _pop, "A-enum")] = "dtype"
for _file, _pop in ((NODES_LIB, "nodes-A"), (EDGES_LIB, "edges-AB")):
    # "E-mapping-bad": codes 3 and -1 index a 3-entry @library. Rule: an
    # enumeration's codes are indices into its @library dataset.
    REFUSED[(_file, _pop, "E-mapping-bad")] = "@library"

# Whole populations that break the spec: two empty attribute groups "0" and "1"
# and nothing else. neuroloom refuses to open them, naming the missing dataset
# and the rule; libsonata refuses them too ("Only single-group populations are
# supported at the moment", a limit of libsonata rather than this file's flaw).
POPULATIONS_REFUSED = {
    (NODES_LIB, "nodes-B"): ("/nodes/nodes-B/node_type_id", "every node population has a node_type_id"),
    (EDGES_LIB, "edges-AC"): ("/edges/edges-AC/source_node_id", "every edge population has source_node_id"),
    # the spec's own index example has no edge_type_id (and no node_population
    # attributes); libsonata refuses it too ("Unable to open the dataset edge_type_id")
    ("sonata-examples/edges/edge_index_example.h5", "example"): (
        "/edges/example/edge_type_id",
        "every edge population has source_node_id, target_node_id and edge_type_id",
    ),
}


def _has_bmtk_spelling(path: Path) -> bool:
    with h5py.File(path, "r") as fh:
        found: list[str] = []
        fh.visit(lambda name: found.append(name) if name.endswith("node_id_to_range") else None)
        return bool(found)


def _check_refusal(exc: pytest.ExceptionInfo[NeuroloomError], path: Path, where: str, rule: str) -> None:
    text = str(exc.value)
    assert path.name in text, f"the error does not name the file: {text}"
    assert where in text, f"the error does not name the dataset {where}: {text}"
    assert rule in text, f"the error does not name the rule ({rule!r}): {text}"


def _by_hand(path: Path, kind: str, pop: str, name: str, dynamics: bool = False) -> np.ndarray:
    """The spec's value of one attribute: group ``group_id[i]``, row ``group_index[i]``."""
    with h5py.File(path, "r") as fh:
        grp = fh[f"{kind}/{pop}"]
        gid = grp[f"{kind[:-1]}_group_id"][()].astype(np.int64)
        gidx = grp[f"{kind[:-1]}_group_index"][()].astype(np.int64)
        parts = {}
        for g in np.unique(gid):
            sub = grp[str(g)]
            sub = sub["dynamics_params"] if dynamics else sub
            col = sub[name][()]
            if "@library" in sub and name in sub["@library"]:
                col = sub["@library"][name][()][col]
            parts[g] = plain(col[gidx[gid == g]])
        values = np.empty(gid.size, dtype=np.result_type(*[v.dtype for v in parts.values()]))
        for g, vals in parts.items():
            values[gid == g] = vals
        return values


def _check_attributes(rel: str, path: Path, ours, theirs, kind: str, ids: np.ndarray, sel) -> int:
    """Compare every attribute and enumeration; return the number of values compared."""
    pop = theirs.name
    n = 0
    for name in sorted(theirs.attribute_names):
        key = (rel, pop, name)
        if key in REFUSED:
            with pytest.raises(NeuroloomError) as exc:
                ours.get(None, [name])
            _check_refusal(exc, path, f"/{kind}/{pop}/0/{name}", REFUSED[key])
            continue
        assert_same(ours.get(None, [name])[name], theirs.get_attribute(name, theirs.select_all()), name)
        got = ours.get(ids, [name])[name]
        assert_same(got, theirs.get_attribute(name, sel), f"{name} of a subset")
        n += int(theirs.size) + ids.size
    for name in sorted(theirs.enumeration_names):
        if (rel, pop, name) in REFUSED:
            continue
        cat = ours.get(None, [name])[name].array
        assert list(cat.categories) == list(theirs.enumeration_values(name)), name
        np.testing.assert_array_equal(cat.codes, theirs.get_enumeration(name, theirs.select_all()))
        n += int(theirs.size)
    assert sorted(ours.dynamics_property_names) == sorted(theirs.dynamics_attribute_names)
    for name in sorted(theirs.dynamics_attribute_names):
        values = ours.get_dynamics(None, [name])[name]
        assert_same(values, theirs.get_dynamics_attribute(name, theirs.select_all()), f"dynamics {name}")
        n += int(theirs.size)
    return n


@pytest.mark.parametrize("rel", files("nodes"))
def test_nodes_equal_libsonata(rel: str) -> None:
    path = path_of(rel)
    ours = open_nodes(path)
    storage = libsonata.NodeStorage(str(path))
    assert sorted(ours) == sorted(storage.population_names)
    for name in sorted(storage.population_names):
        if (rel, name) in POPULATIONS_REFUSED:
            with pytest.raises((libsonata.SonataError, RuntimeError)):
                storage.open_population(name).size  # noqa: B018
            with pytest.raises(NeuroloomError) as exc:
                ours[name]
            _check_refusal(exc, path, *POPULATIONS_REFUSED[(rel, name)])
            continue
        pop = ours[name]
        theirs = storage.open_population(name)
        assert len(pop) == theirs.size
        # implicit ids: node ids are 0..N-1 (libsonata's select_all)
        np.testing.assert_array_equal(pop.ids(), theirs.select_all().flatten())
        ids = np.unique(np.random.default_rng(0).integers(0, max(theirs.size, 1), max(theirs.size // 3, 1)))
        ids = ids[ids < theirs.size]
        _check_attributes(rel, path, pop, theirs, "nodes", ids, libsonata.Selection(ids))
        with h5py.File(path, "r") as fh:
            assert_same(
                pop.get(None, ["node_type_id"])["node_type_id"],
                fh[f"nodes/{name}/node_type_id"][()],
                "node_type_id",
            )


def _check_multi_group(path: Path, kind: str, name: str, pop) -> None:
    with h5py.File(path, "r") as fh:
        groups = [k for k in fh[f"{kind}/{name}"] if k.isdigit()]
        assert len(groups) > 1
        columns = set.intersection(
            *[{k for k, v in fh[f"{kind}/{name}/{g}"].items() if isinstance(v, h5py.Dataset)} for g in groups]
        )
        dyn = set.intersection(*[set(fh[f"{kind}/{name}/{g}"].get("dynamics_params", {})) for g in groups])
    assert columns, "the multi-group population has no column common to all groups"
    for col in sorted(columns):
        ours = pop.get(None, [col])[col]
        assert_same(ours, _by_hand(path, kind, name, col), f"{name}/{col} across groups")
    for col in sorted(dyn):
        assert_same(pop.get_dynamics(None, [col])[col], _by_hand(path, kind, name, col, True), col)


@pytest.mark.parametrize("rel", files("edges"))
def test_edges_equal_libsonata(rel: str) -> None:
    path = path_of(rel)
    ours = open_edges(path)
    storage = libsonata.EdgeStorage(str(path))
    assert sorted(ours) == sorted(storage.population_names)
    for name in sorted(storage.population_names):
        if (rel, name) in POPULATIONS_REFUSED:
            with pytest.raises((libsonata.SonataError, RuntimeError)):
                storage.open_population(name).size  # noqa: B018
            with pytest.raises(NeuroloomError) as exc:
                ours[name]
            _check_refusal(exc, path, *POPULATIONS_REFUSED[(rel, name)])
            continue
        pop = ours[name]
        theirs = storage.open_population(name)
        assert len(pop) == theirs.size
        assert pop.source == theirs.source and pop.target == theirs.target
        everything = theirs.select_all()
        np.testing.assert_array_equal(pop.source_nodes(None), theirs.source_nodes(everything))
        np.testing.assert_array_equal(pop.target_nodes(None), theirs.target_nodes(everything))
        ids = np.arange(0, theirs.size, 3)
        _check_attributes(rel, path, pop, theirs, "edges", ids, libsonata.Selection(ids))
        _check_lookups(rel, pop, theirs)


# Files whose index group is spelled the bmtk way (``node_id_to_range``; the spec
# says ``node_id_to_ranges``): libsonata opens them but its afferent/efferent
# lookups fail ("Unable to open the dataset node_id_to_ranges"). neuroloom
# reads the index; its lookups are checked against a scan of the id columns.
BMTK_INDEX_SPELLING = {rel for rel in files("edges") if rel != MISSING and _has_bmtk_spelling(CORPUS / rel)}


def _check_lookups(rel: str, pop, theirs) -> None:
    """afferent/efferent edges of every node id equal libsonata's (and a scan of the ids)."""
    src = theirs.source_nodes(theirs.select_all())
    trg = theirs.target_nodes(theirs.select_all())
    top = int(max(src.max(initial=0), trg.max(initial=0))) + 2
    with h5py.File(pop.path, "r") as fh:
        indexed = "indices" in fh[f"edges/{pop.name}"]
    use_libsonata = indexed and rel not in BMTK_INDEX_SPELLING
    for node in range(top):
        aff = pop.afferent_edges([node]).flatten()
        eff = pop.efferent_edges([node]).flatten()
        np.testing.assert_array_equal(aff, np.flatnonzero(trg == node))
        np.testing.assert_array_equal(eff, np.flatnonzero(src == node))
        if use_libsonata:
            np.testing.assert_array_equal(aff, theirs.afferent_edges([node]).flatten())
            np.testing.assert_array_equal(eff, theirs.efferent_edges([node]).flatten())
    every = list(range(top))
    np.testing.assert_array_equal(np.sort(pop.afferent_edges(every).flatten()), np.arange(theirs.size))
    if not indexed:  # no index: libsonata refuses lookups, neuroloom scans the id columns
        with pytest.raises(libsonata.SonataError, match="index"):
            theirs.afferent_edges([0])
    elif not use_libsonata:
        with pytest.raises(RuntimeError, match="node_id_to_ranges"):
            theirs.afferent_edges([0])


def _readable(rel: str, pop: str, names: list[str]) -> list[str]:
    return [n for n in names if (rel, pop, n) not in REFUSED]


@pytest.mark.parametrize("rel", files("nodes"))
def test_nodes_round_trip(rel: str, tmp_path: Path) -> None:
    """neuroloom reads each population and writes it back; libsonata reads the same values."""
    path = path_of(rel)
    ours = open_nodes(path)
    out: dict[str, dict[str, object]] = {}
    storage = libsonata.NodeStorage(str(path))
    for name in sorted(ours):
        if (rel, name) in POPULATIONS_REFUSED:
            continue
        pop = ours[name]
        theirs = storage.open_population(name)
        names = _readable(rel, name, sorted(theirs.attribute_names))
        frame = pop.get(None, ["node_type_id", *names])
        props: dict[str, object] = {col: frame[col].to_numpy() for col in frame.columns}
        props["N"] = len(pop)
        if pop.dynamics_property_names:
            dyn = pop.get_dynamics()
            props["dynamics_params"] = {col: dyn[col].to_numpy() for col in dyn.columns}
        out[name] = props
    if not out:
        return
    written = write_nodes(tmp_path / "nodes.h5", out)
    back = libsonata.NodeStorage(str(written))
    for name in out:
        again = back.open_population(name)
        orig = storage.open_population(name)
        everything = orig.select_all()
        assert again.size == orig.size
        for attr in _readable(rel, name, sorted(orig.attribute_names)):
            assert_same(again.get_attribute(attr, everything), orig.get_attribute(attr, everything), attr)
        for attr in sorted(orig.dynamics_attribute_names):
            assert_same(
                again.get_dynamics_attribute(attr, everything),
                orig.get_dynamics_attribute(attr, everything),
                attr,
            )
        with h5py.File(written, "r") as fh, h5py.File(path, "r") as src:
            assert_same(
                fh[f"nodes/{name}/node_type_id"][()], src[f"nodes/{name}/node_type_id"][()], "type ids"
            )


@pytest.mark.parametrize("rel", files("edges"))
def test_edges_round_trip(rel: str, tmp_path: Path) -> None:
    """neuroloom reads each edge population and writes it back (with indices); libsonata reads the same."""
    path = path_of(rel)
    ours = open_edges(path)
    storage = libsonata.EdgeStorage(str(path))
    for name in sorted(ours):
        if (rel, name) in POPULATIONS_REFUSED:
            continue
        pop = ours[name]
        orig = storage.open_population(name)
        names = _readable(rel, name, sorted(orig.attribute_names))
        frame = pop.get(None, names)
        src, trg = pop.source_nodes(None), pop.target_nodes(None)
        dyn = pop.get_dynamics() if pop.dynamics_property_names else None
        written = write_edges(
            tmp_path / f"{name}.h5",
            name,
            src,
            trg,
            source=pop.source,
            target=pop.target,
            source_size=int(src.max(initial=-1)) + 1,
            target_size=int(trg.max(initial=-1)) + 1,
            edge_type_id=pop.get(None, ["edge_type_id"])["edge_type_id"].to_numpy(),
            properties={col: frame[col].to_numpy() for col in frame.columns},
            dynamics=None if dyn is None else {col: dyn[col].to_numpy() for col in dyn.columns},
            sort=None,
        )
        again = libsonata.EdgeStorage(str(written)).open_population(name)
        everything = orig.select_all()
        assert (again.source, again.target) == (orig.source, orig.target)
        np.testing.assert_array_equal(again.source_nodes(everything), orig.source_nodes(everything))
        np.testing.assert_array_equal(again.target_nodes(everything), orig.target_nodes(everything))
        for attr in names:
            assert_same(again.get_attribute(attr, everything), orig.get_attribute(attr, everything), attr)
        for attr in sorted(orig.dynamics_attribute_names):
            assert_same(
                again.get_dynamics_attribute(attr, everything),
                orig.get_dynamics_attribute(attr, everything),
                attr,
            )
        # the written file has indices libsonata uses: lookups equal a scan of the ids
        for node in range(int(trg.max(initial=-1)) + 1):
            np.testing.assert_array_equal(again.afferent_edges([node]).flatten(), np.flatnonzero(trg == node))


def _two_groups(path: Path, kind: str) -> Path:
    """A population with two attribute groups, interleaved rows, enumerations and dynamics (by hand)."""
    n, prefix = 8, kind[:-1]
    gid = np.array([0, 1, 1, 0, 0, 1, 0, 1])
    gidx = np.zeros(n, dtype=np.int64)
    for g in (0, 1):
        gidx[gid == g] = np.arange((gid == g).sum())
    text = h5py.string_dtype()
    with h5py.File(path, "w") as fh:
        fh.attrs["magic"] = np.uint32(0x0A7A)
        fh.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        pop = fh.create_group(f"{kind}/p")
        pop[f"{prefix}_group_id"] = gid.astype(np.uint32)
        pop[f"{prefix}_group_index"] = gidx.astype(np.uint64)
        pop[f"{prefix}_type_id"] = np.arange(n, dtype=np.int64) % 3
        if kind == "edges":
            pop.create_dataset("source_node_id", data=np.arange(n, dtype=np.uint64)).attrs[
                "node_population"
            ] = "a"
            pop.create_dataset("target_node_id", data=np.zeros(n, dtype=np.uint64)).attrs[
                "node_population"
            ] = "b"
        for g in (0, 1):
            rows = int((gid == g).sum())
            grp = pop.create_group(str(g))
            grp["w"] = np.arange(rows, dtype=np.float64) + 10 * g
            grp["k"] = np.arange(rows, dtype=np.int64) + 100 * g
            grp.create_dataset("s", data=[f"g{g}r{i}" for i in range(rows)], dtype=text)
            grp["e"] = (np.arange(rows) % 2).astype(np.uint8)
            grp.create_dataset("@library/e", data=[f"L{g}a", f"L{g}b"], dtype=text)
            grp["dynamics_params/tau"] = np.arange(rows, dtype=np.float64) * (g + 1)
    return path


@pytest.mark.parametrize("kind", ["nodes", "edges"])
def test_several_groups_per_population(kind: str, tmp_path: Path) -> None:
    """The corpus has no valid multi-group population (libsonata-data's are empty): one made by hand.

    libsonata refuses every multi-group population; neuroloom's values equal the
    spec's definition read by hand (row i is row group_index[i] of group group_id[i]).
    """
    path = _two_groups(tmp_path / f"{kind}.h5", kind)
    storage = libsonata.NodeStorage(str(path)) if kind == "nodes" else libsonata.EdgeStorage(str(path))
    with pytest.raises(libsonata.SonataError, match="single-group"):
        storage.open_population("p")
    pop = (open_nodes if kind == "nodes" else open_edges)(path)["p"]
    _check_multi_group(path, kind, "p", pop)
