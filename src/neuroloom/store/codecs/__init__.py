"""Codecs: how each kind of value is stored in an item folder.

=================  ========================================  ==================
codec              stores                                    read back as
=================  ========================================  ==================
``json``           dict, list, str, number, bool, None        the same
``bytes``          bytes, bytearray, memoryview               bytes
``parquet``        pandas DataFrame / Series                  the same
``dask-parquet``   dask DataFrame                             lazy dask DataFrame
``npy``            numpy array (< 1 GiB by default)           read-only memmap
``npz``            numpy array, zlib-compressed (when named)  numpy array
``zarr``           numpy array >= 1 GiB, dask array            zarr / dask array
``pickle``         anything picklable (only when named)       needs allow_pickle
``cloudpickle``    anything cloudpickle takes (when named)    needs allow_pickle
=================  ========================================  ==================
"""

from neuroloom.store.codecs.arrays import NpyCodec, NpzCodec, ZarrCodec
from neuroloom.store.codecs.base import Codec, choose_codec, codec_names, get_codec, register_codec
from neuroloom.store.codecs.pickled import CloudpickleCodec, PickleCodec
from neuroloom.store.codecs.tabular import DaskParquetCodec, ParquetCodec
from neuroloom.store.codecs.text import BytesCodec, JsonCodec

_AUTO: tuple[Codec, ...] = (
    JsonCodec(),
    BytesCodec(),
    NpyCodec(),
    ZarrCodec(),
    ParquetCodec(),
    DaskParquetCodec(),
)
for _codec in _AUTO:
    register_codec(_codec)
for _named in (NpzCodec(), PickleCodec(), CloudpickleCodec()):
    register_codec(_named, auto=False)

__all__ = ["Codec", "choose_codec", "codec_names", "get_codec", "register_codec"]
