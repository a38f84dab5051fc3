"""in_silico_framework's ``ModelDataBase`` spellings, so ISF code ports line by line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from neuroloom.store.keys import Key

if TYPE_CHECKING:
    from neuroloom.store.database import Database

T = TypeVar("T")


class ModelDataBaseSpellings:
    """Aliases of :class:`~neuroloom.store.database.Database` methods under ISF names."""

    id: str

    def setitem(self, key: Key, value: Any, dumper: str | None = None, **kw: Any) -> None:
        """ISF spelling of ``set`` (``dumper`` is the codec name)."""
        codec = codec_for_dumper(dumper) if dumper is not None else None
        self.set(key, value, codec=codec, **kw)  # type: ignore[attr-defined]

    def create_managed_folder(self, key: Key) -> Path:
        """ISF spelling of ``folder``."""
        folder: Path = self.folder(key)  # type: ignore[attr-defined]
        return folder

    def create_sub_mdb(self, key: Key) -> Database:
        """ISF spelling of ``sub``."""
        sub: Database = self.sub(key)  # type: ignore[attr-defined]
        return sub

    def maybe_calculate(self, key: Key, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """ISF spelling of ``cached``."""
        value: T = self.cached(key, fn, *args, **kwargs)  # type: ignore[attr-defined]
        return value

    def get_id(self) -> str:
        """ISF spelling of ``id``."""
        return self.id

    def change_dumper(self, key: Key, new_dumper: str, *, allow_pickle: bool = False) -> None:
        """ISF spelling of ``change_codec`` (ISF dumper names are translated)."""
        self.change_codec(key, codec_for_dumper(new_dumper), allow_pickle=allow_pickle)  # type: ignore[attr-defined]


DUMPER_TO_CODEC = {
    "to_pickle": "pickle",
    "to_cloudpickle": "cloudpickle",
    "pandas_to_pickle": "pickle",
    "pandas_to_parquet": "parquet",
    "dask_to_parquet": "dask-parquet",
    "numpy_to_npy": "npy",
    "numpy_to_npz": "npy",
    "numpy_to_zarr": "zarr",
    "to_msgpack": "json",
    "pandas_to_msgpack": "parquet",
    "dask_to_msgpack": "dask-parquet",
    "dask_to_categorized_msgpack": "dask-parquet",
}
"""ISF dumper name -> the neuroloom codec that stores the same kind of value (no pickle
unless the ISF dumper was a pickle)."""


def codec_for_dumper(dumper: str) -> str:
    """Return the neuroloom codec for an ISF dumper name (``I.dumper_...`` or a codec name)."""
    name = dumper.rsplit(".", 1)[-1]
    if name.startswith("dumper_"):
        name = name[len("dumper_") :]
    return DUMPER_TO_CODEC.get(name, name)


def isf_database(basedir: str | Path, readonly: bool = False, nocreate: bool = False) -> Database:
    """``ISFDataBase(basedir, readonly=..., nocreate=...)`` spelled as ISF does."""
    from neuroloom.store.database import Database

    return Database(basedir, readonly=readonly, create=not nocreate)
