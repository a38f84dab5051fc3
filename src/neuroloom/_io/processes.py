"""Whether this process is a spawned worker importing the user's script again.

``multiprocessing`` with the *spawn* start method (macOS, Windows, dask's
workers everywhere) starts each worker by importing the main script as
``__mp_main__``. A script whose ``study.run(...)`` is not under
``if __name__ == "__main__":`` then runs again in every worker, which changes
the (locked) parameter tree or starts workers of its own. neuroloom checks for
this and says what to do instead of failing with lock errors.
"""

from __future__ import annotations

import multiprocessing
import sys

__all__ = ["MAIN_GUARD", "spawned_import"]

MAIN_GUARD = (
    "a worker process imported your script again and reached neuroloom code at its top level: "
    "put the code that sets up and runs the study (params, explore, study.run) under  if __name__ == "
    '"__main__":  and keep the job function at the top level (backend="dask", and "processes" on '
    "macOS/Windows, start workers that import the script)"
)


def spawned_import() -> bool:
    """True in a spawned child process whose ``__main__`` is the user's script imported again."""
    # spawn's _fixup_main_from_path runs the script with runpy as a module named "__mp_main__"
    # (in the parent, sys.modules["__mp_main__"] is only an alias of __main__); dask's worker
    # processes have no multiprocessing parent_process() but are not the MainProcess either
    script = sys.modules.get("__mp_main__")
    return (
        multiprocessing.current_process().name != "MainProcess"
        and getattr(script, "__name__", "") == "__mp_main__"
    )
