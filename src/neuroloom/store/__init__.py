"""The store layer: a dict-like, crash-safe database of typed items."""

from neuroloom.store.codecs import Codec, codec_names, register_codec
from neuroloom.store.database import Database
from neuroloom.store.keys import Key
from neuroloom.store.uri import resolve

__all__ = ["Codec", "Database", "Key", "codec_names", "register_codec", "resolve"]
