"""Physical quantities as a plain value plus a unit text (Brian2, ``quantities``, ``pint``).

A quantity is stored as its magnitude (a float, int or numpy array) in a unit,
plus the unit's text and the library that made it::

    281 * pF   ->  Quantity value 281.0, unit "pF", library "brian2"

:func:`split` turns a quantity into ``(magnitude, unit, library)``;
:func:`join` turns it back into the library's quantity when that library is
installed (:func:`join` with ``library=""`` gives the magnitude). None of the
libraries is imported unless a value of it is met or asked for, so neuroloom
works without them.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

import numpy as np

from neuroloom.errors import ParameterError

BRIAN2 = "brian2"
QUANTITIES = "quantities"
PINT = "pint"
LIBRARIES = (BRIAN2, QUANTITIES, PINT)

# unit texts: names, numbers, * / ** ^ ( ) and spaces only (checked before evaluation)
#: Units accepted for recorded signals (SONATA ``units`` attribute text).
SIGNAL_UNITS: frozenset[str] = frozenset(
    {
        "V", "mV", "uV",
        "A", "mA", "uA", "nA", "pA",
        "S", "mS", "uS", "nS", "pS",
        "M", "mM", "uM", "nM",
        "Hz", "ms", "s", "1", "%",
    }
)  # fmt: skip

_UNIT_TEXT = re.compile(r"^[A-Za-z_0-9\s\.\*/\(\)\-\^]*$")


class Split(NamedTuple):
    """A quantity taken apart: its magnitude in ``unit``, the unit text and the library."""

    magnitude: Any
    unit: str
    library: str


def library_of(value: object) -> str | None:
    """``"brian2"``, ``"quantities"`` or ``"pint"`` if ``value`` is a quantity of that library."""
    module = type(value).__module__ or ""
    root = module.split(".", 1)[0]
    if root == BRIAN2 and hasattr(value, "dim"):
        return BRIAN2
    if root == QUANTITIES and hasattr(value, "dimensionality"):
        return QUANTITIES
    if root == PINT and hasattr(value, "magnitude") and hasattr(value, "units"):
        return PINT
    return None


def is_quantity(value: object) -> bool:
    """Whether ``value`` is a quantity of a supported unit library."""
    return library_of(value) is not None


def _plain(magnitude: Any) -> Any:
    array = np.asarray(magnitude)
    if array.ndim == 0:
        item = array.item()
        return float(item) if isinstance(item, (int, float)) and not isinstance(item, bool) else item
    return np.array(array)


def _brian2_unit(text: str) -> Any:
    return _evaluate(text, _brian2_names())


@functools.cache
def _brian2_names() -> dict[str, Any]:
    """Brian2's unit names (built once: it walks every unit of the library)."""
    import brian2.units.allunits as allunits
    import brian2.units.stdunits as stdunits
    from brian2.units.fundamentalunits import Quantity as BrianQuantity

    names: dict[str, Any] = {
        k: v
        for module in (allunits, stdunits)
        for k, v in vars(module).items()
        if isinstance(v, BrianQuantity) and not k.startswith("_")
    }
    names.update({str(v): v for v in list(names.values()) if str(v).isidentifier()})
    names.update({"m": allunits.metre, "kg": allunits.kilogram, "s": allunits.second, "A": allunits.amp})
    names.update({"K": allunits.kelvin, "mol": allunits.mole, "cd": allunits.candle})
    return names


def _evaluate(text: str, names: dict[str, Any]) -> Any:
    if not _UNIT_TEXT.match(text) or "__" in text:
        raise ParameterError(f"unit {text!r} is not a unit expression (names, numbers, * / ** only)")
    expression = re.sub(r"(?<=[A-Za-z_0-9\)])\s+(?=[A-Za-z_\(])", " * ", text.strip().replace("^", "**"))
    try:
        return eval(expression or "1", {"__builtins__": {}}, names)
    except Exception as exc:
        raise ParameterError(f"unit {text!r} cannot be read: {exc}") from None


def _brian2_best(value: Any) -> tuple[str, Any]:
    """A unit for a Brian2 quantity: its best unit (``pF``) when the value survives the
    round trip through it exactly, else the SI unit of its dimension (``F``, exact)."""
    from brian2.units.fundamentalunits import get_unit

    best = value.get_best_unit() if np.size(value) else None
    if best is not None:
        try:
            if float(_brian2_unit(str(best))) == float(best):
                back = np.asarray(np.asarray(value / best) * float(best))
                if np.array_equal(back, np.asarray(value)):
                    return ("", 1) if str(best) == "1" else (str(best), best)
        except (ParameterError, TypeError):
            pass
    si = get_unit(value.dim)
    text = str(si)
    try:
        if float(_brian2_unit(text)) == 1.0:
            return ("", 1) if text == "1" else (text, si)
    except (ParameterError, TypeError):
        pass
    text = repr(value.dim)
    return ("", 1) if text in ("1", "Dimension()") else (text, _brian2_unit(text))


def split(value: Any, unit: str = "") -> Split:
    """Magnitude, unit text and library of a quantity.

    With ``unit``, the magnitude is expressed in that unit (``split(0.003*volt, "mV")``
    gives 3.0 mV); without, in the library's best unit for the value.

    Raises
    ------
    ParameterError
        If ``value`` is no quantity, or ``unit`` is not a unit of its dimension.
    """
    library = library_of(value)
    if library == BRIAN2:
        if unit:
            target = _brian2_unit(unit)
        else:
            unit, target = _brian2_best(value)
        from brian2.units.fundamentalunits import is_dimensionless

        ratio = value / target
        if not is_dimensionless(ratio):
            raise ParameterError(f"cannot express {value!r} in {unit!r}: the dimensions differ")
        magnitude = np.asarray(ratio)
        return Split(_plain(magnitude), unit, BRIAN2)
    if library == QUANTITIES:
        converted = value.rescale(unit) if unit else value
        return Split(_plain(converted.magnitude), unit or converted.dimensionality.string, QUANTITIES)
    if library == PINT:
        converted = value.to(unit) if unit else value
        return Split(_plain(converted.magnitude), unit or str(converted.units), PINT)
    raise ParameterError(f"{type(value).__name__} is not a quantity of {', '.join(LIBRARIES)}")


def join(magnitude: Any, unit: str, library: str) -> Any:
    """The quantity ``magnitude * unit`` of ``library`` (the magnitude when ``library`` is ``""``).

    Raises
    ------
    ParameterError
        If the library is not installed or the unit text cannot be read.
    """
    if not library or (not unit and library != BRIAN2):
        return magnitude
    try:
        if library == BRIAN2:
            factor = _brian2_unit(unit) if unit else 1
            return np.asarray(magnitude) * factor if np.ndim(magnitude) else magnitude * factor
        if library == QUANTITIES:
            import quantities

            return quantities.Quantity(magnitude, unit)
        if library == PINT:
            import pint  # type: ignore[import-not-found,unused-ignore]

            return pint.UnitRegistry().Quantity(magnitude, unit)
    except ImportError:
        raise ParameterError(
            f"the value {magnitude!r} {unit} was stored as a {library} quantity but {library} is not "
            f"installed; install it, or read plain values (quantities=False)"
        ) from None
    raise ParameterError(f"unknown unit library {library!r}; known: {', '.join(LIBRARIES)}")
