"""Parameter values: which types are allowed, how they are coerced, encoded and hashed.

Supported types: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, numpy
scalars and arrays (numeric, bool or str dtypes, up to :data:`MAX_ARRAY_ELEMENTS`
elements), and tuples, lists and dicts (string keys) of those values, nested.
Quantities (Brian2, ``quantities``, ``pint``) are split into a value and a unit by
the parameter tree (:mod:`neuroloom.params.units`) before they get here.

Canonical form (used for a run's content id)
---------------------------------------------
Floats are written with 12 significant digits (``format(x, ".12g")``), so values
that differ only by rounding noise (``0.1 + 0.2`` and ``0.3``) are the same point,
while values that differ in the first 12 significant digits are distinct. ``-0.0``
is ``0.0``; NaN and infinities keep their names. Integers are exact. ``1`` (int)
and ``1.0`` (float) are different points, but explored values are first coerced
to the declared type of their parameter, so on a float parameter they agree.
Arrays are hashed from their dtype, shape and raw bytes. Lists and tuples are
different values (``[1, 2]`` is not ``(1, 2)``); dicts are hashed with their keys
sorted, so the order in which a dict was written does not matter.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from neuroloom.errors import ExplorationError, ParameterError
from neuroloom.params.units import is_quantity, join, split

SUPPORTED = (
    "None, bool, int, float, complex, str, bytes, numpy scalars and arrays (numeric, bool or str dtype, "
    "at most 100,000 elements), scipy sparse matrices, and tuples, lists and dicts (str keys) of those, "
    "or a Brian2/quantities/pint quantity"
)
MAX_ARRAY_ELEMENTS = 100_000
_SCALARS = (bool, int, float, complex, str, bytes)


def _is_scalar(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    return isinstance(value, np.generic) and value.dtype.kind in "biufcSU"


def is_sparse(value: object) -> bool:
    """Whether ``value`` is a scipy sparse matrix (scipy is not imported for the check)."""
    return (type(value).__module__ or "").startswith("scipy.sparse") and hasattr(value, "tocsr")


def _sparse_parts(value: Any) -> dict[str, Any]:
    fmt = value.format if value.format in ("csr", "csc") else "csr"
    matrix = value.asformat(fmt)
    return {
        "format": fmt,
        "shape": list(matrix.shape),
        "data": np.asarray(matrix.data),
        "indices": np.asarray(matrix.indices),
        "indptr": np.asarray(matrix.indptr),
    }


def check_value(name: str, value: object) -> Any:
    """Return ``value`` if a parameter may hold it, else raise :class:`ParameterError`."""
    if value is None or _is_scalar(value):
        return value
    if is_sparse(value):
        if getattr(value, "nnz", 0) > MAX_ARRAY_ELEMENTS:
            raise ParameterError(f"parameter {name!r}: a sparse matrix of {value.nnz:,} entries is too large")  # type: ignore[attr-defined]
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcSU":
            raise ParameterError(
                f"parameter {name!r}: a numpy array of dtype {value.dtype} is not supported; "
                f"supported types: {SUPPORTED}"
            )
        if value.size > MAX_ARRAY_ELEMENTS:
            raise ParameterError(
                f"parameter {name!r}: an array of {value.size:,} elements is too large for a parameter "
                f"(at most {MAX_ARRAY_ELEMENTS:,}); store it as a study item (study['name'] = array) "
                "and put its name in the parameter"
            )
        return value
    if isinstance(value, (tuple, list)):
        for k, item in enumerate(value):
            check_value(f"{name}[{k}]", item)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ParameterError(
                    f"parameter {name!r}: dict keys must be str, got {key!r} ({type(key).__name__})"
                )
            check_value(f"{name}.{key}", item)
        return value
    raise ParameterError(
        f"parameter {name!r}: a {type(value).__module__}.{type(value).__qualname__} is not a "
        f"supported parameter value; supported types: {SUPPORTED}"
    )


def coerce(name: str, default: Any, value: Any) -> Any:
    """Convert an explored ``value`` to the type of the parameter's ``default``.

    Raises
    ------
    ExplorationError
        If ``value`` cannot stand for the parameter without losing meaning.
    """

    def refuse(expected: str) -> ExplorationError:
        return ExplorationError(
            f"parameter {name!r} holds a {expected}; the explored value {value!r} "
            f"({type(value).__name__}) is not one"
        )

    if isinstance(default, (np.ndarray, np.generic)):
        return _coerce_numpy(default, value, refuse)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(default, tuple):
        if isinstance(value, (tuple, list)):
            return check_value(name, tuple(value))
        raise refuse("tuple")
    if isinstance(default, list):
        if isinstance(value, (tuple, list)):
            return check_value(name, list(value))
        raise refuse("list")
    if isinstance(default, dict):
        if isinstance(value, dict):
            return check_value(name, value)
        raise refuse("dict")
    if isinstance(default, _SCALARS):
        return _coerce_scalar(default, value, refuse)
    return check_value(name, value)


def _coerce_numpy(
    default: np.ndarray[Any, Any] | np.generic, value: Any, refuse: Callable[[str], ExplorationError]
) -> Any:
    """``value`` as a numpy array or scalar like ``default`` (part of :func:`coerce`)."""
    if isinstance(default, np.ndarray):
        try:
            array = np.asarray(value)
        except Exception:
            raise refuse("numpy array") from None
        if array.dtype.kind not in "biufcSU":
            raise refuse("numpy array")
        return array
    if isinstance(value, (str, bytes)) != (default.dtype.kind in "SU"):
        raise refuse(f"numpy {default.dtype}")
    try:
        return default.dtype.type(value)
    except (TypeError, ValueError):
        raise refuse(f"numpy {default.dtype}") from None


def _coerce_scalar(default: Any, value: Any, refuse: Callable[[str], ExplorationError]) -> Any:
    """``value`` as a Python scalar of the type of ``default`` (part of :func:`coerce`)."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise refuse("bool")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise refuse("int")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise refuse("float")
    if isinstance(default, complex):
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return complex(value)
        raise refuse("complex")
    if isinstance(default, bytes):
        if isinstance(value, bytes):
            return value
        raise refuse("bytes")
    if isinstance(value, str):
        return value
    raise refuse("str")


# ----------------------------------------------------------------- JSON form
def encode(value: Any) -> Any:
    """Return a JSON-compatible form of a parameter value (inverse: :func:`decode`)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        if isinstance(value, float) and not math.isfinite(value):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, bytes) and not isinstance(value, np.generic):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if is_quantity(value):
        magnitude, unit, library = split(value)
        return {"__quantity__": encode(magnitude), "unit": unit, "library": library}
    if is_sparse(value):
        return {"__sparse__": {k: encode(v) for k, v in _sparse_parts(value).items()}}
    if isinstance(value, np.ndarray):
        items = value.tolist()
        return {"__array__": encode(items) if value.dtype.kind == "S" else items, "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return {"__numpy__": encode(value.item()), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(data: Any) -> Any:
    """Rebuild a parameter value from :func:`encode`'s output."""
    if isinstance(data, dict):
        if "__float__" in data:
            return float(data["__float__"])
        if "__complex__" in data:
            re, im = data["__complex__"]
            return complex(re, im)
        if "__array__" in data:
            dtype = np.dtype(data["dtype"])
            return np.asarray(
                decode(data["__array__"]) if dtype.kind == "S" else data["__array__"], dtype=dtype
            )
        if "__bytes__" in data:
            return base64.b64decode(data["__bytes__"])
        if "__numpy__" in data:
            return np.dtype(data["dtype"]).type(decode(data["__numpy__"]))
        if "__tuple__" in data:
            return tuple(decode(v) for v in data["__tuple__"])
        if "__quantity__" in data:
            magnitude = decode(data["__quantity__"])
            try:
                return join(magnitude, data.get("unit", ""), data.get("library", ""))
            except ParameterError:
                return magnitude
        if "__sparse__" in data:
            import scipy.sparse

            parts = {k: decode(v) for k, v in data["__sparse__"].items()}
            make = scipy.sparse.csc_matrix if parts["format"] == "csc" else scipy.sparse.csr_matrix
            return make((parts["data"], parts["indices"], parts["indptr"]), shape=tuple(parts["shape"]))
        if "__dict__" in data:
            return {k: decode(v) for k, v in data["__dict__"].items()}
    if isinstance(data, list):
        return [decode(v) for v in data]
    return data


# ------------------------------------------------------------ canonical form
def _canon_float(x: float) -> str:
    if x == 0.0:
        return "0.0"
    if not math.isfinite(x):
        return repr(x)
    return format(x, ".12g")


def canonical(value: Any) -> str:
    """The canonical text of a value (see the module docstring for the rule)."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return "f" + _canon_float(value)
    if isinstance(value, str):
        return "s" + repr(value)
    if isinstance(value, bytes) and not isinstance(value, np.generic):
        return "y" + value.hex()
    if isinstance(value, complex):
        return f"c{_canon_float(value.real)},{_canon_float(value.imag)}"
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest()
        return f"a{data.dtype.str}{data.shape}{digest}"
    if isinstance(value, np.generic):
        return f"n{value.dtype.str}:" + canonical(value.item())
    if isinstance(value, tuple):
        return "(" + ";".join(canonical(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ";".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ";".join(f"{k!r}:{canonical(value[k])}" for k in sorted(value)) + "}"
    if is_sparse(value):
        parts = _sparse_parts(value)
        return (
            "S"
            + ";".join(f"{k}={canonical(v)}" for k, v in parts.items() if k not in ("format", "shape"))
            + (f";{parts['format']}{tuple(parts['shape'])}")
        )
    return "?" + repr(value)


def catalog_form(value: Any, native: bool = True) -> Any:
    """The form stored in a catalog column: SQLite scalars natively, else JSON text.

    With ``native=False`` (a parameter whose default is not a bool, int, float
    or str) every value is JSON text, so that ``None`` is not NULL (which means
    "the default") and a str is not mistaken for JSON.
    """
    if native:
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            value = value.item()
        if isinstance(value, (bool, int, float, str)) or value is None:
            return value
    import json

    return json.dumps(encode(value), separators=(",", ":"))


def same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values are the same point (equal canonical forms)."""
    return type(a) is type(b) and canonical(a) == canonical(b)


# ------------------------------------------------------------------ columns and content ids
ID_BYTES = 10  # bytes of a point's content id (20 hex characters)

_NATIVE = (int, float, str, bool)


def coerce_column(name: str, default: Any, values: list[Any]) -> list[Any]:
    """Coerce every value of one explored parameter to its default's type."""
    kind = type(default)
    if kind in _NATIVE and all(type(v) is kind for v in values):
        return values
    return [coerce(name, default, v) for v in values]


def _canon_column(values: list[Any]) -> list[str]:
    memo: dict[Any, str] = {}
    out = []
    for v in values:
        key = (type(v), v) if isinstance(v, _NATIVE) else None
        if key is not None:
            text = memo.get(key)
            if text is None:
                text = memo[key] = canonical(v)
        else:
            text = canonical(v)
        out.append(text)
    return out


def content_ids(defaults: dict[str, Any], columns: dict[str, list[Any]], size: int) -> list[str]:
    """Content id of each point: hash of every parameter's canonical value."""
    fixed = {n: canonical(v) for n, v in defaults.items() if n not in columns}
    order = sorted(defaults)
    canon = {n: _canon_column(v) for n, v in columns.items()}
    parts: list[Any] = [f"{n}={fixed[n]}" if n in fixed else canon[n] for n in order]
    ids = []
    blake = hashlib.blake2b
    for i in range(size):
        text = "\n".join(p if isinstance(p, str) else f"{order[k]}={p[i]}" for k, p in enumerate(parts))
        ids.append(blake(text.encode(), digest_size=ID_BYTES).hexdigest())
    return ids
