"""Mechanism compilation into the content-keyed cache, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuroloom.errors import MechanismCompileError
from neuroloom.sim.neuron import builtin_mechanisms_dir, compile_mechanisms, load_mechanisms


def test_builtin_set_compiles_once_and_loads() -> None:
    lib = compile_mechanisms([builtin_mechanisms_dir()])
    stamp = lib.stat().st_mtime_ns
    again = compile_mechanisms([builtin_mechanisms_dir()])
    assert again == lib and again.stat().st_mtime_ns == stamp  # served from the cache
    names = load_mechanisms(None)
    assert names == ["NlSyn", "nlhh"]
    from neuron import h

    sec = h.Section(name="probe")
    sec.insert("nlhh")
    assert sec(0.5).nlhh.gnabar == pytest.approx(0.12)
    syn = h.NlSyn(sec(0.5))
    assert syn.tau_decay == pytest.approx(2.0)


@pytest.mark.slow
def test_cache_key_follows_contents(tmp_path: Path) -> None:
    src = (builtin_mechanisms_dir() / "nlsyn.mod").read_text()
    (tmp_path / "nlsyn.mod").write_text(src + "\n: a comment changes the key\n")
    lib = compile_mechanisms([tmp_path])
    assert lib != compile_mechanisms([builtin_mechanisms_dir()])
    assert lib.parent.parent.name != compile_mechanisms([builtin_mechanisms_dir()]).parent.parent.name


def test_broken_mod_file_names_file_and_cause(tmp_path: Path, _sim_cache: Path) -> None:
    (tmp_path / "broken.mod").write_text("NEURON { SUFFIX broken RANGE g }\nPARAMETER { g = 1 \n")
    with pytest.raises(MechanismCompileError, match=r"nrnivmodl failed to compile .*broken\.mod"):
        compile_mechanisms([tmp_path])
    assert list((_sim_cache / "nrnmech").glob(".tmp-*")) == []  # no half-built library left


def test_same_name_from_other_file_is_refused(tmp_path: Path) -> None:
    load_mechanisms(None)
    src = (builtin_mechanisms_dir() / "nlsyn.mod").read_text().replace("tau_decay = 2.0", "tau_decay = 3.0")
    (tmp_path / "nlsyn.mod").write_text(src)
    with pytest.raises(MechanismCompileError, match="already loaded"):
        load_mechanisms([tmp_path])


def test_not_mod_files(tmp_path: Path) -> None:
    with pytest.raises(MechanismCompileError, match=r"no \.mod files"):
        compile_mechanisms([tmp_path])
    with pytest.raises(MechanismCompileError, match="neither"):
        compile_mechanisms([tmp_path / "x.txt"])
