"""Reading simrun output files by hand, to check what neuroloom imported from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def raw_counts(path: Path) -> Counter[str]:
    """Activations per type in a synapse/cell activation file (tab separated, times comma separated)."""
    counts: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        counts[fields[0]] += len([x for x in fields[-1].split(",") if x.strip()])
    return counts
