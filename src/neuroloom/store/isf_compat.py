"""in_silico_framework's dumper names and the neuroloom codec for each (``db.setitem(..., dumper=...)``)."""

from __future__ import annotations

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
