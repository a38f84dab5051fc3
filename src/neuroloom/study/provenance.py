"""Provenance of a study session and the git integration (pypet's ``git_repository``).

``git_commit=True`` commits the tracked changes of the user's code before the
runs start, so the recorded commit is exactly the code that ran;
``git_fail=True`` refuses to start when that code has uncommitted changes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
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


def imported_untracked(top: Path, code_files: Sequence[Path] = ()) -> list[Path]:
    """Files of this repository that are not tracked by git but that the job runs.

    The job's own file(s) and every module imported in this process whose file
    lies in the repository (``git ls-files --others``, ignored files left out).
    """
    listed = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    if listed.returncode != 0 or not listed.stdout:
        return []
    untracked = {(top / name).resolve() for name in listed.stdout.split("\0") if name}
    loaded = {Path(f).resolve() for f in code_files}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(".py"):
            loaded.add(Path(file).resolve())
    return sorted(loaded & untracked)


def prepare_git(
    repo: Path | None, *, commit: bool, fail: bool, message: str, code_files: Sequence[Path] = ()
) -> dict[str, Any]:
    """Apply ``git_commit`` / ``git_fail`` to the user's code and return its git state.

    The code is the tracked files of the repository plus the untracked files
    the job runs (its own file, modules it imported): ``commit`` adds them to
    the commit, ``fail`` refuses them by name; otherwise they are listed in the
    state as ``untracked``.

    Raises
    ------
    GitDirtyError
        With ``fail=True`` (and not ``commit``) when tracked files have changes
        or the job runs untracked files.
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
    if not state:
        return state
    top = Path(state["repo"])
    untracked = imported_untracked(top, code_files)
    if commit and (state.get("dirty") or untracked):
        added = _git(top, "add", "--update")
        if added.returncode == 0 and untracked:
            added = _git(top, "add", "--", *(str(f.relative_to(top)) for f in untracked))
        done = _git(top, "commit", "-m", message) if added.returncode == 0 else added
        if done.returncode != 0:
            raise StudyError(
                f"git commit in {state['repo']} failed: {done.stderr.strip() or done.stdout.strip()}"
            )
        state = current_git(where)
        untracked = imported_untracked(top, code_files)
    if fail and (state.get("dirty") or untracked):
        what = (
            "has uncommitted changes"
            if state.get("dirty")
            else "runs files git does not track: " + ", ".join(str(f.relative_to(top)) for f in untracked)
        )
        raise GitDirtyError(
            f"the code in {state['repo']} {what} and git_fail=True; commit them "
            "(or pass git_commit=True to let neuroloom commit) before running the study"
        )
    if untracked:
        state = {**state, "untracked": [str(f.relative_to(top)) for f in untracked]}
    return state


def job_files(job: Any) -> list[Path]:
    """The source file of ``job`` (a function or callable object), if it has one."""
    import inspect

    target = job if inspect.isfunction(job) or inspect.ismethod(job) else type(job)
    try:
        found = inspect.getsourcefile(target)
    except TypeError:
        return []
    return [Path(found)] if found else []


def session_provenance(git: dict[str, Any], backend: str, workers: int) -> dict[str, Any]:
    """Versions, Python, host and git state of this session."""
    record = collect()
    record["git"] = git or record.get("git", {})
    record["backend"] = backend
    record["workers"] = workers
    record["argv"] = list(sys.argv)
    return record
