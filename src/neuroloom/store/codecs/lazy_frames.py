"""The file system of lazy dask-parquet frames (see :mod:`neuroloom.store.codecs.lazy`).

Separate from ``lazy`` because fsspec comes with the ``dask`` extra only.
"""

from __future__ import annotations

from typing import Any

from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped]

from neuroloom.store.codecs.lazy import changed


class GuardedFileSystem(LocalFileSystem):  # type: ignore[misc]
    """The local fsspec file system, raising :class:`ItemChangedError` for files that went away."""

    def __init__(self, item: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item

    def _open(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._open(path, *args, **kwargs)
        except FileNotFoundError:
            raise changed(self.item, "dask frame", path) from None
