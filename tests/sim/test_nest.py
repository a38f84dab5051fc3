"""NEST adapter: the same behavioural checks as the Brian2 adapter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from neuroloom.errors import SimulatorNotInstalledError

from .test_brian2 import check_fi_curve, check_release_probability


def test_fi_curve(tmp_path: Path) -> None:
    check_fi_curve("nest", tmp_path)


def test_release_probability(tmp_path: Path) -> None:
    check_release_probability("nest", tmp_path)


def test_not_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from neuroloom.sim import nest as nl_nest

    monkeypatch.setitem(sys.modules, "nest", None)
    with pytest.raises(SimulatorNotInstalledError, match="pip install nest-simulator"):
        nl_nest.simulate("unused.json", None, 10.0)
