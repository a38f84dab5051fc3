"""Fixtures for the ISF readers: the shared corpus (required, never skipped)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "isf-examples"


@pytest.fixture(scope="session")
def isf_corpus() -> Path:
    """``../shared/corpus/isf-examples``; the tests fail when it is missing."""
    assert CORPUS.is_dir(), f"the ISF example corpus is missing: {CORPUS} (see ../shared/corpus/README.md)"
    return CORPUS.resolve()


@pytest.fixture(scope="session")
def simrun_folder(isf_corpus: Path) -> Path:
    folder = isf_corpus / "C2_evoked_UpState_INH_PW_1.0_SuW_0.5_C2center" / "20150815-1530_20240"
    assert folder.is_dir(), f"the simrun example is missing: {folder}"
    return folder
