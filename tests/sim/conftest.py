"""Simulator tests share one compile cache per session (NEURON mechanisms, Brian2 Cython)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("neuroloom-cache")


@pytest.fixture(autouse=True)
def _sim_cache(_session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Compiled code lands in a per-session cache, so each test session compiles once."""
    monkeypatch.setenv("NEUROLOOM_CACHE", str(_session_cache))
    return _session_cache
