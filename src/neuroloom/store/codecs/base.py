"""The codec interface and the registry that picks a codec for a value."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from neuroloom.errors import CodecError


class Codec(ABC):
    """How one kind of value is written to, and read from, an item folder.

    Subclasses set :attr:`name`, implement :meth:`dump` and :meth:`load`, and
    say with :meth:`accepts` whether a value can be stored. :meth:`auto` says
    whether the codec is chosen for the value when the user names no codec.
    """

    name: ClassVar[str]
    needs_opt_in: ClassVar[bool] = False
    """Loading runs arbitrary code (pickle): refused unless asked for by name."""
    options: ClassVar[frozenset[str]] = frozenset()
    """Names of the read options :meth:`load` takes (``db.get(key, **options)``); others are refused."""
    auto_implies_accepts: ClassVar[bool] = False
    """``auto(obj)`` true guarantees ``accepts(obj)``: the check is skipped (speed)."""

    @abstractmethod
    def accepts(self, obj: object) -> bool:
        """Whether this codec can store ``obj`` when asked for by name."""

    def auto(self, obj: object) -> bool:
        """Whether this codec is chosen for ``obj`` when none is named."""
        return False

    def why_not(self, obj: object) -> str:
        """Explain why ``obj`` cannot be stored (used in error messages)."""
        return f"the {self.name!r} codec cannot store a {type(obj).__module__}.{type(obj).__qualname__}"

    def inline(self, obj: object) -> tuple[bool, Any]:
        """Return ``(True, value)`` to keep ``obj`` inside ``item.json``."""
        return False, None

    def inline_info(self, obj: object) -> dict[str, Any]:
        """Codec info (JSON) kept with an inline value, given to :meth:`load_inline`."""
        return {}

    def load_inline(self, value: Any, info: dict[str, Any]) -> Any:
        """Rebuild a value kept inside ``item.json``."""
        return value

    @abstractmethod
    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        """Write ``obj`` into the empty ``directory``; return codec info (JSON)."""

    @abstractmethod
    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        """Read the value written by :meth:`dump` from ``directory``.

        A wrong option value raises :class:`~neuroloom.errors.CodecError`
        (the data are fine); any other exception means the files are damaged.
        """

    def load_item(self, directory: Path, info: dict[str, Any], key: str, **options: Any) -> Any:
        """:meth:`load` for the item ``key`` (lazy codecs name it when their data go away later)."""
        return self.load(directory, info, **options)


_REGISTRY: dict[str, Codec] = {}
_AUTO_ORDER: list[str] = []


def register_codec(codec: Codec, *, auto: bool = True) -> None:
    """Make ``codec`` available by name (and for automatic choice if ``auto``).

    Codecs registered later are tried first, so a user codec can take over a
    type from a built-in one.
    """
    _REGISTRY[codec.name] = codec
    if auto and codec.name not in _AUTO_ORDER:
        _AUTO_ORDER.insert(0, codec.name)


def codec_names() -> list[str]:
    """Names of every registered codec, sorted."""
    return sorted(_REGISTRY)


def get_codec(name: str) -> Codec:
    """Return the codec called ``name``.

    Raises
    ------
    CodecError
        If no codec has that name; the message lists the known names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise CodecError(f"unknown codec {name!r}; known codecs: {', '.join(codec_names())}") from None


def choose_codec(obj: object) -> Codec:
    """Return the codec used for ``obj`` when the user names none.

    Raises
    ------
    CodecError
        If no codec stores this type by default.
    """
    for name in _AUTO_ORDER:
        codec = _REGISTRY[name]
        if codec.auto(obj):
            return codec
    raise CodecError(
        f"no codec stores a {type(obj).__module__}.{type(obj).__qualname__} by default; "
        f"choose one with db.set(key, value, codec=...) from: {', '.join(codec_names())} "
        "(the 'pickle' and 'cloudpickle' codecs store any Python object but must be "
        "named, and loading them needs allow_pickle=True)"
    )
