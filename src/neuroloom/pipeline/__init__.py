"""The main job: a network study described in one file, run end to end.

::

    from neuroloom.pipeline import run_study_file
    study, report = run_study_file("examples/ei_balanced.toml")

See :mod:`neuroloom.pipeline.spec` for the file's sections,
:mod:`neuroloom.pipeline.network` for how the network is built and
:mod:`neuroloom.pipeline.job` for what each run does.
"""

from __future__ import annotations

from neuroloom.pipeline.job import NetworkJob, simulate_run
from neuroloom.pipeline.runner import prepare_study, run_spec, run_study_file
from neuroloom.pipeline.spec import StudySpec, parse_spec, read_spec

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
