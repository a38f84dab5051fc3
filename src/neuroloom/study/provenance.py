"""Provenance of a study session and the git integration (pypet's ``git_repository``).

``git_commit=True`` commits the tracked changes of the user's code before the
runs start, so the recorded commit is exactly the code that ran;
``git_fail=True`` refuses to start when that code has uncommitted changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from neuroloom.errors import GitDirtyError, StudyError
from neuroloom.store.provenance import caller_directory, collect, git_state


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StudyError(f"cannot run git in {repo}: {exc}") from None


def current_git(repo: Path) -> dict[str, Any]:
    """Commit, dirty flag and top level of the repository holding ``repo`` (fresh, not cached)."""
    git_state.cache_clear()
    return git_state(str(repo))


def prepare_git(repo: Path | None, *, commit: bool, fail: bool, message: str) -> dict[str, Any]:
    """Apply ``git_commit`` / ``git_fail`` to the user's code and return its git state.

    Raises
    ------
    GitDirtyError
        With ``fail=True`` (and not ``commit``) when tracked files have changes.
    StudyError
        When a commit was asked for outside a git repository, or it failed.
    """
    where = Path(repo) if repo is not None else caller_directory()
    state = current_git(where)
    if (commit or fail) and not state:
        raise StudyError(
            f"git_commit/git_fail need the code to be in a git repository; {where} is not in one "
            "(pass git_repo=PATH to name the repository)"
        )
    if commit and state.get("dirty"):
        added = _git(where, "add", "--update")
        done = _git(where, "commit", "-m", message) if added.returncode == 0 else added
        if done.returncode != 0:
            raise StudyError(
                f"git commit in {state['repo']} failed: {done.stderr.strip() or done.stdout.strip()}"
            )
        state = current_git(where)
    if fail and state.get("dirty"):
        raise GitDirtyError(
            f"the code in {state['repo']} has uncommitted changes and git_fail=True; commit them "
            "(or pass git_commit=True to let neuroloom commit) before running the study"
        )
    return state


def session_provenance(git: dict[str, Any], backend: str, workers: int) -> dict[str, Any]:
    """Versions, Python, host and git state of this session."""
    record = collect()
    record["git"] = git or record.get("git", {})
    record["backend"] = backend
    record["workers"] = workers
    record["argv"] = list(sys.argv)
    return record
