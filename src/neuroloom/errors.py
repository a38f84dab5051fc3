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


class StudyError(NeuroloomError):
    """A study cannot do what was asked (wrong state, bad layout, bad job output)."""


class ParameterError(StudyError, KeyError, AttributeError):
    """A parameter is unknown, has an unsupported type, or is locked."""


class ExplorationError(StudyError, ValueError):
    """An exploration is malformed (unequal lengths, unknown names, bad values)."""


class StudyLockedError(StudyError):
    """Another coordinating process is running (or adding runs to) this study."""


class GitDirtyError(StudyError):
    """The user's code has uncommitted changes and ``git_fail=True`` was asked."""


class AnalysisInputError(NeuroloomError, ValueError):
    """A table or argument given to an analysis or plot function is invalid."""


class EmptyDataError(AnalysisInputError):
    """An analysis was asked of a table (or view) that holds no rows."""


class StorageError(NeuroloomError, OSError):
    """The file system refused a read or write (permissions, full disk, ...)."""


class RunFailedError(StudyError):
    """One or more runs of a study failed; finished runs are kept."""


class SonataError(NeuroloomError):
    """A SONATA file, config or report cannot be read or written as asked."""


class SonataFormatError(SonataError, ValueError):
    """A SONATA file breaks the format: missing, truncated or inconsistent dataset."""


class UnknownPopulationError(SonataError, KeyError):
    """A population name is not in the file or circuit."""


class NetworkBuildError(NeuroloomError, ValueError):
    """A network description cannot be built (bad rule, selection or property)."""


class SimulationError(NeuroloomError):
    """A simulation cannot be set up or run as asked (circuit, inputs, recordings)."""


class SimulatorNotInstalledError(SimulationError, ImportError):
    """The simulator a study asked for cannot be imported here."""


class UnsupportedModelError(SimulationError, ValueError):
    """A population's node model is not one the chosen simulator adapter can build."""


class DynamicsParamsError(SimulationError, ValueError):
    """A population's dynamics parameters are missing, unreadable or invalid."""


class MechanismCompileError(SimulationError):
    """NEURON mechanisms (.mod files) failed to compile or load."""


class InputSpecError(SimulationError, ValueError):
    """An input description (rates, spike trains, PSTH, clamp) is invalid."""


class RecordingError(StudyError, ValueError):
    """A recording (spikes, signal) or a report to import is invalid."""


class QueryError(StudyError, ValueError):
    """A view filter names an unknown parameter, population or operator, or selects nothing to analyse."""


class DuplicateResultError(StudyError):
    """A result with the same name and parameters is already stored (pass replace=True)."""


class StudyFileError(StudyError, ValueError):
    """A study file (TOML/YAML/JSON) has an unknown section or key, or a value of the wrong kind."""


class ReportError(StudyError):
    """A study report cannot be built (nothing recorded, unwritable folder)."""


class ReadOnlyError(NeuroloomError):
    """A write was attempted on a database opened with ``readonly=True``."""


class KeyConflictError(NeuroloomError, ValueError):
    """A key would be a value and a prefix of other keys at once."""


class ItemChangedError(NeuroloomError, OSError):
    """A lazy value (zarr/dask) read data of an item that was overwritten or deleted since."""


def with_context(exc: BaseException, message: str) -> NeuroloomError:
    """A neuroloom error saying ``message`` about ``exc``; raise it ``from exc``.

    Keeps the error's class when it is a neuroloom error that takes one message
    (so ``except SimulationError`` still catches it); otherwise, and for an
    exception class with another constructor, a :class:`NeuroloomError` whose
    message names the original class. Raising the result ``from exc`` keeps the
    original error (and its traceback) as ``__cause__``, so nothing is hidden.
    """
    if isinstance(exc, NeuroloomError):
        try:
            made = type(exc)(message)
        except Exception:  # a subclass with another constructor
            made = None
        if made is not None and made.args == (message,):
            return made
    return NeuroloomError(f"{message} ({type(exc).__module__}.{type(exc).__qualname__})")
