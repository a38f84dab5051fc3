"""Read what in_silico_framework (ISF) users have on disk: databases and simrun folders.

- :func:`open` opens an ``ISFDataBase`` or an older ``ModelDataBase`` in place, read only.
- :mod:`neuroloom.isf.simrun` parses simrun output folders into pandas frames.
"""

from neuroloom.isf.database import ISFDatabase, open
from neuroloom.isf.dumpers import READABLE_DUMPERS, load_dump

__all__ = ["READABLE_DUMPERS", "ISFDatabase", "load_dump", "open"]
