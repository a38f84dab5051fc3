"""Provenance: the git commit and dirty flag of the script that wrote an item."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neuroloom import Database
from neuroloom.store import provenance

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SCRIPT = """
import sys
import neuroloom
db = neuroloom.Database(sys.argv[1])
db[sys.argv[2]] = {"written by": __file__}
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def run_script(script: Path, db_path: Path, key: str) -> None:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run([sys.executable, str(script), str(db_path), key], check=True, env=env, cwd=script.parent)


def test_metadata_names_the_commit_and_dirty_flag_of_the_running_script(tmp_path: Path) -> None:
    repo = tmp_path / "analysis"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Test")
    script = repo / "make_results.py"
    script.write_text(SCRIPT)
    git(repo, "add", "make_results.py")
    git(repo, "commit", "-q", "-m", "first")
    commit = git(repo, "rev-parse", "HEAD")
    db_path = tmp_path / "results-db"

    run_script(script, db_path, "clean")
    (repo / "untracked.txt").write_text("untracked files do not make a tree dirty")
    run_script(script, db_path, "untracked")
    script.write_text(SCRIPT + "# an uncommitted change\n")
    run_script(script, db_path, "dirty")

    db = Database(db_path)
    clean = db.metadata("clean")
    assert clean["git_commit"] == commit and len(commit) == 40
    assert clean["git_dirty"] is False
    assert Path(clean["git_repo"]).resolve() == repo.resolve()
    assert db["clean"] == {"written by": str(script)}
    assert db.metadata("untracked")["git_dirty"] is False
    dirty = db.metadata("dirty")
    assert dirty["git_commit"] == commit and dirty["git_dirty"] is True


def test_script_outside_a_repository_has_no_git_state(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    if subprocess.run(["git", "-C", str(outside), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git repository")
    assert provenance.git_state(str(outside)) == {}


def test_collect_lists_versions_host_and_user() -> None:
    record = provenance.collect()
    assert record["neuroloom"] and record["host"] and record["python"]
    assert {"numpy", "pandas", "pyarrow"} <= set(record["packages"])
    assert set(record) >= {"git", "packages", "user", "platform"}
