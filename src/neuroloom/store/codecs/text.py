"""JSON and raw-bytes codecs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom.store.codecs.base import Codec

INLINE_LIMIT = 64 * 1024
"""JSON values encoding to fewer bytes than this live inside ``item.json``."""


def plain_json(obj: Any, *, allow_tuples: bool, where: str = "value") -> Any:
    """Return ``obj`` with numpy scalars made plain; raise TypeError if not JSON."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return obj.item()
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has a dict key {key!r} of type {type(key).__name__}; "
                    "JSON keys must be str (JSON would turn it into a string silently)"
                )
            out[key] = plain_json(value, allow_tuples=allow_tuples, where=f"{where}[{key!r}]")
        return out
    if isinstance(obj, list) or (allow_tuples and isinstance(obj, tuple)):
        return [plain_json(v, allow_tuples=allow_tuples, where=f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        raise TypeError(
            f"{where} is a tuple, which JSON stores as a list; name codec='json' to accept "
            "that, or store a list"
        )
    raise TypeError(f"{where} is a {type(obj).__qualname__}, which JSON cannot hold")


_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _nonfinite_paths(obj: Any, path: list[Any], found: list[list[Any]]) -> Any:
    """``obj`` with each NaN/inf replaced by None; their paths (and spelling) appended to ``found``."""
    if isinstance(obj, float) and not math.isfinite(obj):
        found.append([*path, "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")])
        return None
    if isinstance(obj, dict):
        return {k: _nonfinite_paths(v, [*path, k], found) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nonfinite_paths(v, [*path, i], found) for i, v in enumerate(obj)]
    return obj


def split_nonfinite(plain: Any) -> tuple[Any, list[list[Any]]]:
    """Valid JSON for ``plain``: NaN/inf become null, listed as ``[*path, spelling]``."""
    try:
        json.dumps(plain, allow_nan=False)
    except ValueError:
        found: list[list[Any]] = []
        return _nonfinite_paths(plain, [], found), found
    return plain, []


def join_nonfinite(value: Any, paths: list[list[Any]]) -> Any:
    """Put back the NaN/inf values :func:`split_nonfinite` took out."""
    for entry in paths:
        *where, spelling = entry
        if not where:
            return _NONFINITE[spelling]
        holder = value
        for step in where[:-1]:
            holder = holder[step]
        holder[where[-1]] = _NONFINITE[spelling]
    return value


class JsonCodec(Codec):
    """dict / list / str / number / bool / None as JSON (small values inline)."""

    name = "json"
    auto_implies_accepts = True

    def accepts(self, obj: object) -> bool:
        try:
            plain_json(obj, allow_tuples=True)
        except TypeError:
            return False
        return True

    def auto(self, obj: object) -> bool:
        try:
            plain_json(obj, allow_tuples=False)
        except TypeError:
            return False
        return True

    def why_not(self, obj: object) -> str:
        try:
            plain_json(obj, allow_tuples=True)
        except TypeError as exc:
            return f"the 'json' codec cannot store it: {exc}"
        return ""

    def inline(self, obj: object) -> tuple[bool, Any]:
        if isinstance(obj, (bool, int)) or obj is None:
            return True, obj
        if isinstance(obj, float):
            return True, obj if math.isfinite(obj) else None
        if isinstance(obj, str) and len(obj) < INLINE_LIMIT // 4:
            return True, obj
        plain, _ = split_nonfinite(plain_json(obj, allow_tuples=True))
        if len(json.dumps(plain, separators=(",", ":"))) < INLINE_LIMIT:
            return True, plain
        return False, None

    def inline_info(self, obj: object) -> dict[str, Any]:
        if isinstance(obj, (bool, int, str)) or obj is None:
            return {}
        _, paths = split_nonfinite(plain_json(obj, allow_tuples=True))
        return {"nonfinite": paths} if paths else {}

    def load_inline(self, value: Any, info: dict[str, Any]) -> Any:
        return join_nonfinite(value, info.get("nonfinite") or [])

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        plain, paths = split_nonfinite(plain_json(obj, allow_tuples=True))
        text = json.dumps(plain, separators=(",", ":"), allow_nan=False)
        (directory / "data.json").write_text(text, encoding="utf-8")
        return {"nonfinite": paths} if paths else {}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        with open(directory / "data.json", encoding="utf-8") as fh:
            return join_nonfinite(json.load(fh), info.get("nonfinite") or [])


class BytesCodec(Codec):
    """bytes / bytearray / memoryview as a raw file, read back as bytes."""

    name = "bytes"
    auto_implies_accepts = True

    def accepts(self, obj: object) -> bool:
        return isinstance(obj, (bytes, bytearray, memoryview))

    def auto(self, obj: object) -> bool:
        return self.accepts(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        (directory / "data.bin").write_bytes(bytes(obj))
        return {}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        return (directory / "data.bin").read_bytes()
