"""Parameter values: which types are allowed, how they are coerced, encoded and hashed.

Supported types: ``bool``, ``int``, ``float``, ``complex``, ``str``, numpy scalars
and arrays (numeric, bool or str dtypes) and tuples of those scalars.

Canonical form (used for a run's content id)
---------------------------------------------
Floats are written with 12 significant digits (``format(x, ".12g")``), so values
that differ only by rounding noise (``0.1 + 0.2`` and ``0.3``) are the same point,
while values that differ in the first 12 significant digits are distinct. ``-0.0``
is ``0.0``; NaN and infinities keep their names. Integers are exact. ``1`` (int)
and ``1.0`` (float) are different points, but explored values are first coerced
to the declared type of their parameter, so on a float parameter they agree.
Arrays are hashed from their dtype, shape and raw bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from neuroloom.errors import ExplorationError, ParameterError

SUPPORTED = (
    "bool, int, float, complex, str, numpy scalars and arrays (numeric, bool or str dtype), "
    "and tuples of such scalars"
)
_SCALARS = (bool, int, float, complex, str)


def _is_scalar(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    return isinstance(value, np.generic) and value.dtype.kind in "biufcSU"


def check_value(name: str, value: object) -> Any:
    """Return ``value`` if a parameter may hold it, else raise :class:`ParameterError`."""
    if _is_scalar(value):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcSU":
            raise ParameterError(
                f"parameter {name!r}: a numpy array of dtype {value.dtype} is not supported; "
                f"supported types: {SUPPORTED}"
            )
        return value
    if isinstance(value, tuple):
        for item in value:
            if not _is_scalar(item):
                raise ParameterError(
                    f"parameter {name!r}: the tuple holds a {type(item).__name__}; tuples may "
                    f"only hold scalars (supported types: {SUPPORTED})"
                )
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
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return {"__numpy__": encode(value.item()), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
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
            return np.asarray(data["__array__"], dtype=np.dtype(data["dtype"]))
        if "__numpy__" in data:
            return np.dtype(data["dtype"]).type(decode(data["__numpy__"]))
        if "__tuple__" in data:
            return tuple(decode(v) for v in data["__tuple__"])
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
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return "f" + _canon_float(value)
    if isinstance(value, str):
        return "s" + repr(value)
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
    return "?" + repr(value)


def catalog_form(value: Any) -> Any:
    """The form stored in a catalog column: SQLite scalars natively, else JSON text."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        value = value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    import json

    return json.dumps(encode(value), separators=(",", ":"))


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
