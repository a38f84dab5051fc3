"""examples/pypet_examples.py prints what pypet's originals print (their answers, written down here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pypet_examples.py"

# pypet 0.6.1's own output of examples 3 and 8 (the lines they print), and example 13's
# firing-rate table and example 6's end points at the currents and starts the port runs
PYPET_03 = [(1, 6), (1, 7), (1, 8), (2, 6), (2, 7), (2, 8), (3, 6), (3, 7), (3, 8), (4, 6), (4, 7), (4, 8)]
PYPET_03 += [(3, 9), (4, 9), (5, 7), (5, 8), (5, 9), (6, 7), (6, 8), (6, 9)]
PYPET_08 = ["run_00000002: x=1, y=8, z=8", "run_00000003: x=2, y=6, z=12", "run_00000011: x=4, y=8, z=32"]
PYPET_13 = {
    0.0: (0, 0, 0),
    0.25: (99, 79, 66),
    0.5: (137, 102, 82),
    0.75: (154, 111, 87),
    1.0: (164, 117, 91),
}
PYPET_06_END = "[4.384643 1.504643 0.010519]"


@pytest.mark.slow
def test_ported_pypet_examples_give_pypets_answers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "out")],
        capture_output=True, text=True, env=dict(os.environ), cwd=tmp_path, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "02: the characters group holds ['han_solo', 'luke_skywalker']" in lines
    assert "02: George Lucas earned 111566834666.53162$$$!" in lines
    merged = [line for line in lines if line.startswith("03: ")]
    assert merged == [f"03: run_{i:08d}: x={x:f}, y={y:f}, z={x * y:f}" for i, (x, y) in enumerate(PYPET_03)]
    assert f"06: run 0 from [0.01 0.01 0.01] ends at {PYPET_06_END}" in lines
    assert all(f"08: {line}" in lines for line in PYPET_08)
    for current, rates in PYPET_13.items():
        assert f"13: I={current:.2f}: " + ", ".join(f"{r} Hz" for r in rates) in lines
