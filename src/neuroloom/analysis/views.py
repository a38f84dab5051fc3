"""Let every spike analysis take a study ``View`` as well as a table.

``neuroloom.analysis.mean_rates(study.filter(st_rate=5), 0, 1000)`` reads the
view's spikes from the consolidated tables and passes the view's runs as
``runs=``, so runs without spikes count; with a table the call is unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def is_view(obj: object) -> bool:
    """Whether ``obj`` is a :class:`neuroloom.datastore.view.View` (without importing it)."""
    cls = type(obj)
    return cls.__name__ == "View" and cls.__module__ == "neuroloom.datastore.view"


def on_views(fn: F) -> F:
    """Wrap a function of a spikes table so that it also accepts a ``View``."""

    @functools.wraps(fn)
    def wrapper(spikes: Any, *args: Any, **kwargs: Any) -> Any:
        if is_view(spikes):
            return spikes.analyse(fn, *args, **kwargs)
        return fn(spikes, *args, **kwargs)

    return cast(F, wrapper)
