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
        self.set(key, value, codec=dumper, **kw)  # type: ignore[attr-defined]

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
