"""Splitting ids over ranks."""

from __future__ import annotations

import numpy as np
import pytest

from neuroloom.errors import NeuroloomError
from neuroloom.network.partition import bundles_by, dry_run_distribution, split_by_afferent, split_round_robin


def test_dry_run_distribution_example() -> None:
    bundles = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert dry_run_distribution(bundles, stride=2, stride_offset=0).tolist() == [1, 2, 3, 7, 8, 9]
    assert dry_run_distribution(bundles, stride=2, stride_offset=1).tolist() == [4, 5, 6, 10]
    assert dry_run_distribution(bundles).tolist() == list(range(1, 11))


def test_bundles_by_property() -> None:
    mtypes = np.array(["L5", "L2", "L5", "L4", "L2"])
    assert [b.tolist() for b in bundles_by(mtypes)] == [[0, 2], [1, 4], [3]]


def test_split_round_robin() -> None:
    assert split_round_robin(np.arange(10), 3, 1).tolist() == [1, 4, 7]
    assert split_round_robin(None, 4, 3, total_cells=10).tolist() == [3, 7]
    parts = [split_round_robin(np.arange(11), 3, k) for k in range(3)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(11))
    with pytest.raises(NeuroloomError):
        split_round_robin(np.arange(3), 2, 2)


def test_split_by_afferent_balances_load() -> None:
    counts = np.random.default_rng(0).integers(0, 1000, 500)
    parts = split_by_afferent(counts, 4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(500))
    loads = [counts[p].sum() for p in parts]
    assert max(loads) - min(loads) <= counts.max()
    naive = [counts[split_round_robin(np.arange(500), 4, k)].sum() for k in range(4)]
    assert max(loads) - min(loads) <= max(naive) - min(naive)
