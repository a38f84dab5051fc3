"""Let every spike analysis take a source of tables (a study ``View``) as well as a table.

``neuroloom.analysis.mean_rates(study.filter(st_rate=5), 0, 1000)`` hands the
function to the view's ``analyse`` method, which reads the view's spikes from
the consolidated tables and passes the view's runs as ``runs=``, so runs
without spikes count; with a table the call is unchanged. The analysis layer
knows only this protocol, not the View class (it sits below the data store).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


class TableSource(Protocol):
    """Anything that runs an analysis function on its own spikes table (e.g. a study ``View``)."""

    def analyse(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn(spikes, *args, runs=..., **kwargs)`` on its spikes table."""


def is_view(obj: object) -> bool:
    """Whether ``obj`` is a :class:`TableSource` rather than a table.

    The method is looked up on the class, so a DataFrame with a column named
    ``analyse`` is still a table.
    """
    return callable(getattr(type(obj), "analyse", None))


def on_views(fn: F) -> F:
    """Wrap a function of a spikes table so that it also accepts a :class:`TableSource`."""

    @functools.wraps(fn)
    def wrapper(spikes: Any, *args: Any, **kwargs: Any) -> Any:
        if is_view(spikes):
            return cast(TableSource, spikes).analyse(fn, *args, **kwargs)
        return fn(spikes, *args, **kwargs)

    return cast(F, wrapper)
