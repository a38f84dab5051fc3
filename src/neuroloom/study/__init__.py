"""Running a study: the study core, which holds its parts (item store, catalog, marker), and the
runner, worker, backends and lock.

The user-facing :class:`neuroloom.Study` adds the data store on top of
:class:`~neuroloom.study.study.StudyCore`; it lives in :mod:`neuroloom.datastore.study`.
"""

from neuroloom.study.study import StudyCore

__all__ = ["StudyCore"]
