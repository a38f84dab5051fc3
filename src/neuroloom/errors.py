"""Exceptions raised by neuroloom.

Every error a user can cause derives from :class:`NeuroloomError` and its
message says what was wrong, where (key, file or dataset) and what to do.
"""

from __future__ import annotations


class NeuroloomError(Exception):
    """Base class of every error neuroloom raises on purpose."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InvalidKeyError(NeuroloomError, ValueError):
    """A key does not follow the rules for database keys."""


class ItemNotFoundError(NeuroloomError, KeyError):
    """No item is stored under the requested key."""


class CodecError(NeuroloomError, TypeError):
    """A codec is unknown or cannot store or load the given value."""


class PickleRefusedError(NeuroloomError):
    """Loading a pickled item was refused because it was not asked for."""


class CorruptItemError(NeuroloomError, OSError):
    """An item's files are missing, truncated or unreadable."""


class FormatVersionError(NeuroloomError):
    """A directory was written by a format this version cannot read."""


class NotADatabaseError(NeuroloomError):
    """A directory exists but is not a neuroloom database."""


class UnresolvedURIError(NeuroloomError, LookupError):
    """A ``neuroloom://`` URI does not point to a database that can be found."""


class StorageError(NeuroloomError, OSError):
    """The file system refused a read or write (permissions, full disk, ...)."""
