"""S7/S16: ``neuroloom run`` records the git state of the study's code; untracked imports count.

The CLI runs in-process here (CliRunner), where the running script is pytest's,
not the user's: exactly the situation of a console script in a virtualenv.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import neuroloom as nl
from neuroloom.cli import main
from neuroloom.store.provenance import CODE_DIR_ENV

STUDY_TOML = """
[study]
path = "out"
job = "code/jobs.py:simulate"
seed = 3
backend = "serial"

[params]
x = 1

[[explore]]
grid = { x = [1, 2] }
"""

JOBS = """
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import helper_{tag}


def simulate(run):
    return helper_{tag}.twice(run.params.x)
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    monkeypatch.setenv(CODE_DIR_ENV, "")  # restored after the test (the CLI sets it)
    tag = request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    root = tmp_path / "project"
    (root / "code").mkdir(parents=True)
    monkeypatch.chdir(root)  # a study file's [study] path is relative to the working directory
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.org")
    git(root, "config", "user.name", "Tester")
    (root / "study.toml").write_text(STUDY_TOML)
    (root / "code" / "jobs.py").write_text(JOBS.format(tag=tag))
    (root / "code" / f"helper_{tag}.py").write_text("def twice(x):\n    return 2 * x\n")
    (root / ".gitignore").write_text("out/\n")
    git(root, "add", "study.toml", ".gitignore", "code/jobs.py")  # the helper stays untracked
    git(root, "commit", "-qm", "first")
    return root


def run(project: Path, *flags: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", str(project / "study.toml"), "--no-progress", *flags])
    return result.exit_code, result.output


def test_cli_records_the_study_files_repository(project: Path) -> None:
    code, output = run(project)
    assert code == 0, output
    git_state = nl.Study(project / "out").provenance()[-1]["provenance"]["git"]
    assert git_state["repo"] == str(project.resolve())
    assert git_state["commit"] == git(project, "rev-parse", "HEAD")
    assert git_state["untracked"] == [f"code/{next((project / 'code').glob('helper_*.py')).name}"]


def test_cli_git_fail_names_the_untracked_file_the_job_imports(project: Path) -> None:
    code, output = run(project, "--git-fail")
    assert code == 2, output
    assert "helper_" in output and "git does not track" in output
    assert nl.Study(project / "out").catalog.counts()["pending"] == 2  # nothing ran


def test_cli_git_commit_commits_the_untracked_import_too(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD")
    (project / "code" / "jobs.py").write_text((project / "code" / "jobs.py").read_text() + "\n# changed\n")
    code, output = run(project, "--git-commit")
    assert code == 0, output
    new_head = git(project, "rev-parse", "HEAD")
    assert new_head != head
    committed = git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert "code/jobs.py" in committed and any(f.startswith("code/helper_") for f in committed)
    git_state = nl.Study(project / "out").provenance()[-1]["provenance"]["git"]
    assert git_state["commit"] == new_head and git_state["dirty"] is False
    assert "untracked" not in git_state


def test_library_git_fail_names_untracked_imports(project: Path) -> None:
    import importlib.util
    import sys

    from neuroloom.errors import GitDirtyError

    helper = next((project / "code").glob("helper_*.py"))
    spec = importlib.util.spec_from_file_location(helper.stem, helper)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[helper.stem] = module
    spec.loader.exec_module(module)
    study = nl.Study(project / "lib")
    study.params.add("x", 1)
    study.explore(nl.grid(x=[1]))
    try:
        with pytest.raises(GitDirtyError, match=rf"git does not track: code/{helper.name}"):
            study.run(
                lambda run: module.twice(1), backend="serial", progress=False, git_fail=True, git_repo=project
            )
    finally:
        del sys.modules[helper.stem]
