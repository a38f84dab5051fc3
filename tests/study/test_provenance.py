"""Provenance and git integration with a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import neuroloom as nl
from neuroloom.errors import GitDirtyError, StudyError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    git(code, "init", "-q")
    git(code, "config", "user.email", "t@example.org")
    git(code, "config", "user.name", "Tester")
    (code / "model.py").write_text("TAU = 20\n")
    git(code, "add", "model.py")
    git(code, "commit", "-qm", "first")
    return code


def make(path: Path) -> nl.Study:
    study = nl.Study(path)
    study.params.add("x", 1)
    study.explore(nl.grid(x=[1, 2]))
    return study


def test_git_fail_refuses_a_dirty_tree(tmp_path: Path, repo: Path) -> None:
    study = make(tmp_path / "s")
    (repo / "model.py").write_text("TAU = 10\n")
    with pytest.raises(GitDirtyError, match="uncommitted changes and git_fail=True"):
        study.run(lambda run: 1, backend="serial", progress=False, git_fail=True, git_repo=repo)
    assert study.catalog.counts()["pending"] == 2  # nothing ran
    git(repo, "commit", "-qam", "second")
    study.run(lambda run: 1, backend="serial", progress=False, git_fail=True, git_repo=repo)
    session = study.provenance()[-1]
    assert session["provenance"]["git"] == {
        "repo": str(repo.resolve()),
        "commit": git(repo, "rev-parse", "HEAD"),
        "dirty": False,
    }


def test_git_commit_commits_first(tmp_path: Path, repo: Path) -> None:
    study = make(tmp_path / "s")
    head = git(repo, "rev-parse", "HEAD")
    (repo / "model.py").write_text("TAU = 15\n")
    study.run(lambda run: 1, backend="serial", progress=False, git_commit=True, git_repo=repo)
    new_head = git(repo, "rev-parse", "HEAD")
    assert new_head != head and git(repo, "status", "--porcelain") == ""
    assert study.id in git(repo, "log", "-1", "--format=%s")
    prov = study.provenance()[-1]["provenance"]
    assert prov["git"]["commit"] == new_head and prov["git"]["dirty"] is False
    assert prov["neuroloom"] == nl.__version__ and prov["python"] and prov["host"]
    runs = study.runs
    assert (runs["session"] == 1).all() and runs["host"].notna().all() and runs["start"].notna().all()


def test_git_options_outside_a_repository(tmp_path: Path) -> None:
    study = make(tmp_path / "s")
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(StudyError, match="not in one"):
        study.run(lambda run: 1, backend="serial", progress=False, git_commit=True, git_repo=outside)
