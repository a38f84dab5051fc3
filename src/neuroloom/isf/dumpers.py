"""Readers for the files each in_silico_framework dumper writes into a key's folder.

Every ISF key is a folder holding ``Loader.json`` (``{"Loader": "<module>", ...}``),
``metadata.json`` and the dump itself. The file names below are the ones ISF's
``data_base.isf_data_base.IO.LoaderDumper`` modules (and the older
``model_data_base`` ones) write:

==============================  ==========================================  ==========================
dumper                          files                                       read as
==============================  ==========================================  ==========================
``to_pickle``                   ``to_pickle_dump``                          object (allow_pickle)
``to_cloudpickle``              ``to_pickle_dump``                          object (allow_pickle)
``pandas_to_pickle``            ``pandas_to_pickle.pickle``                 DataFrame (allow_pickle)
``pandas_to_parquet``           ``pandas_to_parquet.parquet``,              DataFrame, labels restored
                                ``object_meta.json``
``dask_to_parquet``             ``pandas_to_parquet.<n>.<i>.parquet``,      lazy dask DataFrame
                                ``object_meta.json``, ``divisions.json``
``numpy_to_npy``                ``np.npy``                                  ndarray
``numpy_to_npz``                ``np.npz`` (array ``arr_0``)                ndarray
``numpy_to_zarr``               ``obj.zarr``                                ndarray
``to_msgpack``                  ``to_pickle_dump`` (plain msgpack)          object
``pandas_to_msgpack``           ``pandas_to_msgpack`` (or ``_<n>`` parts)   DataFrame (pandas msgpack)
``numpy_to_msgpack``            ``pandas_to_msgpack``                       ndarray (pandas msgpack)
``dask_to_msgpack``,            ``dask_to_msgpack.<i>.csv`` (one pandas     lazy dask DataFrame
``dask_to_categorized_msgpack`` msgpack file per partition), Loader.json
                                ``index_name`` and ``divisions``
==============================  ==========================================  ==========================
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import CodecError, CorruptItemError, PickleRefusedError
from neuroloom.isf.frame_meta import empty_frame, read_object_meta, restore_labels
from neuroloom.isf.pandas_msgpack import category_to_object, read_pandas_msgpack

PICKLE_DUMPERS = frozenset({"to_pickle", "to_cloudpickle", "pandas_to_pickle", "self"})
"""Dumpers whose files are Python pickles: read only with ``allow_pickle=True``."""

PANDAS_MSGPACK_DUMPERS = frozenset(
    {"pandas_to_msgpack", "dask_to_msgpack", "dask_to_categorized_msgpack", "numpy_to_msgpack"}
)
"""Dumpers written with pandas' msgpack format (removed from pandas in 1.0), read by
:mod:`neuroloom.isf.pandas_msgpack`."""

FOLDER_DUMPERS = frozenset({"just_create_folder"})
SUBDB_DUMPERS = frozenset({"just_create_isf_db", "just_create_mdb"})

_CONVERT_HINT = {
    "pandas_to_msgpack": "pandas_to_parquet",
    "numpy_to_msgpack": "numpy_to_npy",
    "dask_to_msgpack": "dask_to_parquet",
    "dask_to_categorized_msgpack": "dask_to_parquet",
}


def dumper_name(loader_module: str) -> str:
    """Return the dumper's short name from a ``Loader`` module path.

    ``data_base.isf_data_base.IO.LoaderDumper.to_cloudpickle`` -> ``to_cloudpickle``.
    """
    return loader_module.rsplit(".", 1)[-1]


def _need(folder: Path, name: str, key: object, dumper: str) -> Path:
    path = folder / name
    if not path.exists():
        raise CorruptItemError(
            f"ISF key {key!r} (dumper {dumper!r}): its dump file {path} is missing; "
            "the database is damaged or was copied incompletely"
        )
    return path


def _read_pickle(path: Path) -> Any:
    # pandas' reader also opens pickles written by older pandas versions
    return pd.read_pickle(path)


def _to_pickle(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    return _read_pickle(_need(folder, "to_pickle_dump", key, dumper))


def _pandas_to_pickle(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    return _read_pickle(_need(folder, "pandas_to_pickle.pickle", key, dumper))


def _frame_meta(folder: Path, key: object, state: dict[str, Any]) -> dict[str, Any] | None:
    meta = read_object_meta(folder, key)
    legacy = state.get("meta")
    if meta is None and isinstance(legacy, pd.DataFrame):  # ModelDataBase: meta in Loader.pickle
        meta = {
            "columns": [str(c) for c in legacy.columns],
            "column_name_dtypes": [
                "<U" if isinstance(c, str) else str(np.asarray(c).dtype) for c in legacy.columns
            ],
            "index_dtype": str(legacy.index.dtype),
            "dtypes": [str(d) for d in legacy.dtypes],
        }
        if legacy.index.name is not None:
            meta["index_name"] = str(legacy.index.name)
            meta["index_name_dtype"] = "<U" if isinstance(legacy.index.name, str) else "int64"
    return meta


def _pandas_to_parquet(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    path = _need(folder, "pandas_to_parquet.parquet", key, dumper)
    frame = pd.read_parquet(path, engine="pyarrow")
    return restore_labels(frame, _frame_meta(folder, key, state))


def _partition_files(folder: Path, key: object, dumper: str) -> list[Path]:
    files = [p for p in folder.iterdir() if p.name.startswith("pandas_to_parquet.")]
    if not files:
        raise CorruptItemError(
            f"ISF key {key!r} (dumper {dumper!r}): no pandas_to_parquet.<n>.<i>.parquet file in {folder}"
        )
    try:
        total = int(files[0].name.split(".")[1])
    except (IndexError, ValueError):
        raise CorruptItemError(f"ISF key {key!r}: cannot parse the partition count from {files[0]}") from None
    wanted = [folder / f"pandas_to_parquet.{total}.{i}.parquet" for i in range(total)]
    missing = [p for p in wanted if not p.is_file()]
    if missing:
        raise CorruptItemError(
            f"ISF key {key!r} (dumper {dumper!r}): {len(missing)} of {total} partition files are "
            f"missing, first {missing[0]}"
        )
    return wanted


def _read_partition(path: Path, meta: dict[str, Any] | None) -> pd.DataFrame:
    return restore_labels(pd.read_parquet(path, engine="pyarrow"), meta)


def _dask_to_parquet(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    import dask.dataframe as dd
    from dask.delayed import delayed

    files = _partition_files(folder, key, dumper)
    meta = _frame_meta(folder, key, state)
    parts = [delayed(_read_partition)(p, meta) for p in files]
    empty = empty_frame(meta) if meta is not None else _read_partition(files[0], None).iloc[:0]
    divisions: Any = None
    div_file = folder / "divisions.json"
    if div_file.is_file():
        try:
            loaded = json.loads(div_file.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptItemError(f"ISF key {key!r}: cannot read {div_file}: {exc}") from exc
        if isinstance(loaded, list) and len(loaded) == len(files) + 1 and None not in loaded:
            divisions = tuple(loaded)
    return dd.from_delayed(parts, meta=empty, divisions=divisions, verify_meta=False)


def _numpy_to_npy(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    path = _need(folder, "np.npy", key, dumper)
    try:
        return np.load(path, allow_pickle=bool(state.get("allow_pickle")))
    except ValueError as exc:
        if "allow_pickle" not in str(exc):
            raise
        raise PickleRefusedError(
            f"ISF key {key!r} (dumper {dumper!r}): {path} holds an object array, which numpy "
            "stores as a pickle; open the database with allow_pickle=True to read it"
        ) from exc


def _numpy_to_npz(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    path = _need(folder, "np.npz", key, dumper)
    with np.load(path, allow_pickle=False) as archive:
        if "arr_0" not in archive.files:
            raise CorruptItemError(f"ISF key {key!r}: {path} has no array 'arr_0'")
        return archive["arr_0"]


def _numpy_to_zarr(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    import zarr

    path = _need(folder, "obj.zarr", key, dumper)
    return np.asarray(zarr.open_array(str(path), mode="r")[...])


def _to_msgpack(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    import msgpack  # type: ignore[import-untyped]

    path = _need(folder, "to_pickle_dump", key, dumper)
    with open(path, "rb") as fh:
        return msgpack.unpack(fh, raw=False, strict_map_key=False)


def _msgpack_parts(folder: Path, key: object, dumper: str, prefix: str) -> list[Path]:
    single = folder / prefix
    if single.is_file():
        return [single]
    parts = [p for p in folder.iterdir() if p.name.startswith(prefix + "_")]
    try:
        parts.sort(key=lambda p: int(p.name.rsplit("_", 1)[-1]))
    except ValueError:
        raise CorruptItemError(f"ISF key {key!r}: unexpected file names in {folder}") from None
    if not parts:
        raise CorruptItemError(f"ISF key {key!r} (dumper {dumper!r}): its dump file {single} is missing")
    return parts


def _pandas_to_msgpack(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    files = _msgpack_parts(folder, key, dumper, "pandas_to_msgpack")
    frames = [read_pandas_msgpack(p) for p in files]
    if len(frames) == 1:
        return frames[0]
    joined = pd.concat(frames)
    if joined.index.dtype != frames[0].index.dtype:  # pandas 3 infers str for object indexes
        joined.index = joined.index.astype(frames[0].index.dtype)
    return joined


def _numpy_to_msgpack(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    frame = read_pandas_msgpack(_need(folder, "pandas_to_msgpack", key, dumper))
    return frame.to_numpy()


def _read_msgpack_partition(path: Path, index_name: Any) -> pd.DataFrame:
    frame = category_to_object(read_pandas_msgpack(path))
    frame.index.name = index_name
    return frame


def _dask_to_msgpack(folder: Path, key: object, dumper: str, state: dict[str, Any]) -> Any:
    import dask.dataframe as dd
    from dask.delayed import delayed

    files = sorted(folder.glob("dask_to_msgpack.*.csv"))
    if not files:
        raise CorruptItemError(
            f"ISF key {key!r} (dumper {dumper!r}): no dask_to_msgpack.*.csv file in {folder}"
        )
    index_name = state.get("index_name")
    empty = _read_msgpack_partition(files[0], index_name).iloc[:0]
    parts = [delayed(_read_msgpack_partition)(p, index_name) for p in files]
    divisions = state.get("divisions")
    known: Any = None
    if isinstance(divisions, list) and len(divisions) == len(files) + 1 and None not in divisions:
        known = tuple(divisions)
    return dd.from_delayed(parts, meta=empty, divisions=known, verify_meta=False)


_READERS: dict[str, Callable[[Path, object, str, dict[str, Any]], Any]] = {
    "to_pickle": _to_pickle,
    "to_cloudpickle": _to_pickle,
    "pandas_to_pickle": _pandas_to_pickle,
    "pandas_to_parquet": _pandas_to_parquet,
    "dask_to_parquet": _dask_to_parquet,
    "numpy_to_npy": _numpy_to_npy,
    "numpy_to_npz": _numpy_to_npz,
    "numpy_to_zarr": _numpy_to_zarr,
    "to_msgpack": _to_msgpack,
    "pandas_to_msgpack": _pandas_to_msgpack,
    "numpy_to_msgpack": _numpy_to_msgpack,
    "dask_to_msgpack": _dask_to_msgpack,
    "dask_to_categorized_msgpack": _dask_to_msgpack,
}

READABLE_DUMPERS = frozenset(_READERS) | FOLDER_DUMPERS | SUBDB_DUMPERS
"""Every dumper name neuroloom reads (folders and sub-databases are handled by the database)."""


def _dump_files(folder: Path) -> str:
    """The dump's files in a key's folder, for messages: ``<folder>/<file>`` (or ``in <folder>``)."""
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name not in ("Loader.json", "metadata.json"))
    except OSError:
        names = []
    if len(names) == 1:
        return str(folder / names[0])
    return f"in {folder}" + (f" ({', '.join(names[:5])})" if names else "")


def refuse_pickle(key: object, dumper: str, where: Path) -> PickleRefusedError:
    """The error for a pickled dump opened without ``allow_pickle``."""
    return PickleRefusedError(
        f"ISF key {key!r} is stored with the {dumper!r} dumper ({where}); loading it runs "
        "arbitrary code, so neuroloom only does it when asked: "
        "neuroloom.isf.open(path, allow_pickle=True) for a database you trust"
    )


def load_dump(
    folder: Path,
    dumper: str,
    key: object,
    *,
    allow_pickle: bool,
    state: dict[str, Any] | None = None,
) -> Any:
    """Read the value an ISF dumper wrote into ``folder``.

    Parameters
    ----------
    folder
        The key's folder (holds ``Loader.json`` and the dump).
    dumper
        The dumper's short name (see :func:`dumper_name`).
    key
        The ISF key, for error messages.
    allow_pickle
        Whether pickled dumps may be loaded.
    state
        Extra ``Loader`` arguments (``Loader.json`` entries, or the state of an
        old ``Loader.pickle``), e.g. a dask ``meta``.

    Raises
    ------
    PickleRefusedError
        A pickled dump and ``allow_pickle`` is false.
    CodecError
        A dumper neuroloom cannot read (names the key, the format and how to convert).
    CorruptItemError
        Missing or unreadable dump files.
    """
    if dumper in PICKLE_DUMPERS and not allow_pickle:
        raise refuse_pickle(key, dumper, folder)
    reader = _READERS.get(dumper)
    if reader is None:
        raise CodecError(
            f"ISF key {key!r} in {folder} is stored with the dumper {dumper!r}, which neuroloom "
            f"does not know (it reads {', '.join(sorted(READABLE_DUMPERS))}); convert the key in "
            "in_silico_framework to one of those, e.g. dumper=I.dumper_to_cloudpickle"
        )
    try:
        return reader(folder, key, dumper, {**(state or {}), "allow_pickle": allow_pickle})
    except CodecError as exc:
        if dumper in PANDAS_MSGPACK_DUMPERS:
            raise CodecError(
                f"ISF key {key!r} ({dumper!r} dump in {folder}): {exc}; or convert it in an "
                f"in_silico_framework environment: db.setitem({key!r}, db[{key!r}], "
                f"dumper=I.dumper_{_CONVERT_HINT[dumper]})"
            ) from exc
        raise
    except CorruptItemError as exc:
        if repr(key) in str(exc):
            raise
        raise CorruptItemError(f"ISF key {key!r} ({dumper!r} dump in {folder}): {exc}") from exc
    except PickleRefusedError:
        raise
    except (ModuleNotFoundError, AttributeError) as exc:
        if dumper in PICKLE_DUMPERS:
            raise CodecError(
                f"ISF key {key!r} ({dumper!r} dump in {folder}) refers to Python code that is not "
                f"importable here: {exc}; install the package that defined the pickled object"
            ) from exc
        raise CorruptItemError(f"ISF key {key!r}: cannot read {folder}: {exc}") from exc
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, TypeError, KeyError) as exc:
        raise CorruptItemError(
            f"ISF key {key!r}: the {dumper!r} dump {_dump_files(folder)} is damaged or truncated "
            f"({type(exc).__name__}: {exc}); restore the key from a copy"
        ) from exc
    except Exception as exc:  # third-party readers raise their own types (pyarrow, msgpack, zarr)
        raise CorruptItemError(
            f"ISF key {key!r}: the {dumper!r} dump {_dump_files(folder)} cannot be read "
            f"({type(exc).__name__}: {exc}); restore the key from a copy"
        ) from exc
