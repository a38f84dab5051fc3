"""Former name of :mod:`neuroloom.studyfile`, kept so that existing scripts keep working.

New code imports from :mod:`neuroloom.studyfile`.
"""

from neuroloom.studyfile import (
    NetworkJob,
    StudySpec,
    parse_spec,
    prepare_study,
    read_spec,
    run_spec,
    run_study_file,
    simulate_run,
)

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
