"""The main job: a network study described in one file, run end to end.

::

    from neuroloom.studyfile import run_study_file
    study, report = run_study_file("examples/ei_balanced.toml")

See :mod:`neuroloom.studyfile.spec` for the file's sections,
:mod:`neuroloom.studyfile.network` for how the network is built and
:mod:`neuroloom.studyfile.job` for what each run does.
"""

from __future__ import annotations

from neuroloom.studyfile.job import NetworkJob, simulate_run
from neuroloom.studyfile.runner import prepare_study, run_spec, run_study_file
from neuroloom.studyfile.spec import StudySpec, parse_spec, read_spec

__all__ = [
    "NetworkJob",
    "StudySpec",
    "parse_spec",
    "prepare_study",
    "read_spec",
    "run_spec",
    "run_study_file",
    "simulate_run",
]
