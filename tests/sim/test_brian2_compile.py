"""Brian2's Cython code: announced before the first compilation, reused across release probabilities."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from neuroloom.sim import brian2 as nl_brian2
from neuroloom.sim.inputs import SpikeTrainInput

from .circuits import single_population

PSC = {"C_m": 250.0, "tau_m": 10.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0}


def test_first_compilation_is_announced_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert nl_brian2.announce_compilation(tmp_path) is True
    err = capsys.readouterr().err
    assert "compiles its Cython code" in err and "one to two minutes" in err and str(tmp_path) in err
    (tmp_path / "_cython_magic_0.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    assert nl_brian2.announce_compilation(tmp_path) is False
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_release_probabilities_reuse_the_compiled_code(
    tmp_path: Path, _sim_cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cfg = single_population(tmp_path, 20, "iaf_psc_exp", PSC, source=1, weight=5.0, delay=1.0)
    cache = _sim_cache / "brian2-cython"

    def simulate(release_prob: float) -> int:
        train = SpikeTrainInput(
            "src", node_ids=np.zeros(20, np.int64), times=np.arange(20) * 5.0 + 1.0, release_prob=release_prob
        )
        result = nl_brian2.simulate(cfg, [train], 110.0, record={"pop": ["I_ex"]}, seed=3, target="cython")
        current = result.signals[("pop", "I_ex")].values
        return int(np.count_nonzero(np.diff(current, axis=0) > 2.5))

    first = simulate(0.5)
    compiled = sorted(p.name for p in cache.rglob("*.so"))
    second = simulate(0.2)
    assert sorted(p.name for p in cache.rglob("*.so")) == compiled, "a new release probability compiled again"
    assert second < first  # the new probability is used, not the compiled-in old one
    assert "may not be well-defined" not in capfd.readouterr().err  # Brian2's warning on rand() is dropped


def test_compiling_new_code_is_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "_cython_magic_old.so").write_bytes(b"")
    since = time.time() + 1.0  # the old module predates the run: nothing is being compiled
    nl_brian2.announce_when_compiling(tmp_path, since, delay=0.01).join(5)
    assert capsys.readouterr().err == ""
    since = time.time() - 1.0
    (tmp_path / "_cython_magic_new.pyx").write_text("# Brian2 writes the sources as it compiles\n")
    nl_brian2.announce_when_compiling(tmp_path, since, delay=0.01).join(5)
    err = capsys.readouterr().err
    assert "Brian2 is compiling code it has not compiled on this machine before" in err
    assert str(tmp_path) in err
