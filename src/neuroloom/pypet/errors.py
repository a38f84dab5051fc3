"""Errors raised while reading pypet trajectory files."""

from __future__ import annotations

from neuroloom.errors import NeuroloomError


class PypetFormatError(NeuroloomError, ValueError):
    """A pypet HDF5 file, trajectory or item cannot be read as pypet wrote it."""


class TrajectoryNotFoundError(PypetFormatError, KeyError):
    """The requested trajectory name is not in the file."""
