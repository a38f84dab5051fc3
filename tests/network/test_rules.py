"""Built-in rules give the distributions they promise."""

from __future__ import annotations

import numpy as np

from neuroloom.network import Network, rules
from neuroloom.network.spatial import Grid, bernoulli_skips, gaussian_pairs


def test_bernoulli_skips_is_exact() -> None:
    rng = np.random.default_rng(0)
    m = np.array([10, 1000, 5, 0, 50, 3])
    q = np.array([0.5, 0.01, 1.0, 0.3, 0.9, 1e-9])
    totals = np.zeros(m.size)
    for _ in range(400):
        g, pos = bernoulli_skips(m, q, rng)
        assert np.all(pos < m[g]) and np.all(pos >= 0)
        assert len(set(zip(g.tolist(), pos.tolist()))) == g.size  # no pair twice
        totals += np.bincount(g, minlength=m.size)
    mean = totals / 400
    sd = np.sqrt(m * q * (1 - q) / 400) + 1e-9
    assert np.all(np.abs(mean - m * q) < 5 * sd + 1e-6)
    assert totals[2] == 400 * 5  # q = 1: every trial


def test_gaussian_pairs_matches_brute_force_expectation() -> None:
    rng = np.random.default_rng(1)
    pos = rng.random((1500, 3)) * 250
    sigma, p, cutoff = 40.0, 0.4, 120.0
    d2 = ((pos[:, None, :] - pos[None]) ** 2).sum(2)
    prob = np.where(d2 <= cutoff**2, p * np.exp(-d2 / (2 * sigma**2)), 0.0)
    grid = Grid.build(pos, 2 * sigma)
    counts = np.zeros((1500,))
    runs = 6
    for _ in range(runs):
        t, s, dd = gaussian_pairs(grid, pos, p, sigma, cutoff, rng)
        np.testing.assert_allclose(dd, d2[t, s], rtol=1e-4, atol=1e-2)
        assert np.all(dd <= cutoff**2)
        counts += np.bincount(t, minlength=1500)
    expected = prob.sum(1) * runs
    assert abs(counts.sum() - expected.sum()) < 5 * np.sqrt(expected.sum())
    # per-target means follow the per-target expectation (correlation, not only the total)
    assert np.corrcoef(counts, expected)[0, 1] > 0.9


def _edges(rule: rules.ConnectionRule, n: int = 200, seed: int = 0) -> np.ndarray:
    net = Network("r", seed=seed)
    net.add_nodes(N=n, positions=np.random.default_rng(0).random((n, 3)) * 100)
    net.add_edges(connection_rule=rule)
    net.build(progress=False)
    frame = net.edges().to_frame()
    return frame[["source_node_id", "target_node_id"]].to_numpy()


def test_fixed_probability() -> None:
    pairs = _edges(rules.FixedProbability(0.1))
    assert abs(len(pairs) - 0.1 * 200 * 199) < 5 * np.sqrt(0.1 * 0.9 * 200 * 199)
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert len({tuple(p) for p in pairs}) == len(pairs)


def test_fixed_in_and_out_degree() -> None:
    pairs = _edges(rules.FixedInDegree(7))
    assert np.bincount(pairs[:, 1], minlength=200).tolist() == [7] * 200
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert len({tuple(p) for p in pairs}) == len(pairs)
    out = _edges(rules.FixedOutDegree(5, autapses=True))
    assert np.bincount(out[:, 0], minlength=200).tolist() == [5] * 200


def test_one_to_one_all_to_all_and_array_rule() -> None:
    pairs = _edges(rules.OneToOne(), n=30)
    assert (pairs[:, 0] == pairs[:, 1]).all() and len(pairs) == 30
    assert len(_edges(rules.AllToAll(), n=20)) == 400

    def near(sources, targets, radius):  # type: ignore[no-untyped-def]
        d = np.linalg.norm(sources.positions - targets.positions, axis=1)
        return (d < radius) & (sources["node_id"] != targets["node_id"])

    got = _edges(rules.ArrayRule(near, radius=30.0), n=100)
    pos = np.random.default_rng(0).random((100, 3)) * 100
    d = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    expected = {(s, t) for s, t in zip(*np.nonzero((d < 30) & ~np.eye(100, dtype=bool)))}
    assert {tuple(p) for p in got.tolist()} == expected
