"""Shared fixtures: every test gets its own neuroloom registry."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_registry(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the database registry at a temporary folder for each test."""
    home = tmp_path_factory.mktemp("neuroloom-home")
    monkeypatch.setenv("NEUROLOOM_HOME", str(home))
    monkeypatch.delenv("NEUROLOOM_PATH", raising=False)
    # `neuroloom run` sets the code folder for its worker processes: restore it after each test
    monkeypatch.setenv("NEUROLOOM_CODE_DIR", "")
    monkeypatch.delenv("NEUROLOOM_CODE_DIR")
    return home
