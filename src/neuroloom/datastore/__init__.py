"""The data store of a study: consolidated tables, conditions, views, analysis results, importers, merge.

:class:`~neuroloom.datastore.study.Study` (exported as ``neuroloom.Study``) is the
study core of :mod:`neuroloom.study` plus these features.
"""

from neuroloom.datastore.study import Study
from neuroloom.datastore.view import View

__all__ = ["Study", "View"]
