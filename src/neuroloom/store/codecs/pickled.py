"""pickle and cloudpickle: any Python object, only when named.

Loading a pickle runs arbitrary code, so :class:`~neuroloom.store.Database`
refuses to load these unless the caller passes ``allow_pickle=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from neuroloom.store.codecs.base import Codec


class PickleCodec(Codec):
    """Any picklable object with the standard library's pickle."""

    name = "pickle"
    needs_opt_in = True

    def accepts(self, obj: object) -> bool:
        return True

    def _module(self) -> Any:
        return pickle

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        with open(directory / "data.pkl", "wb") as fh:
            self._module().dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return {}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        with open(directory / "data.pkl", "rb") as fh:
            return pickle.load(fh)  # only reached with allow_pickle=True


class CloudpickleCodec(PickleCodec):
    """Any object cloudpickle can serialise (lambdas, local classes)."""

    name = "cloudpickle"

    def _module(self) -> Any:
        try:
            import cloudpickle
        except ImportError as exc:  # pragma: no cover - cloudpickle ships with dask
            raise ImportError(
                "the 'cloudpickle' codec needs the cloudpickle package: pip install cloudpickle"
            ) from exc
        return cloudpickle
