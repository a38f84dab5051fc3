"""Parameter values: allowed types, coercion, JSON form and the canonical rule."""

from __future__ import annotations

import numpy as np
import pytest

from neuroloom.errors import ExplorationError, ParameterError
from neuroloom.params.values import canonical, check_value, coerce, decode, encode


def test_float_rounding_noise_is_the_same_point() -> None:
    assert canonical(0.1 + 0.2) == canonical(0.3)
    assert canonical(-0.0) == canonical(0.0)
    assert canonical(0.3) != canonical(0.3000001)
    assert canonical(1) != canonical(1.0)  # types differ; explored values are coerced first
    assert canonical(True) != canonical(1)


@pytest.mark.parametrize(
    "value",
    [
        *(True, 3, 2.5, 1 + 2j, "abc", np.float32(1.5), np.arange(3), (1, 2.0, "x"), float("nan")),
        *(b"0.7.1", np.bytes_(b"ab"), np.array([b"a", b"bc"]), {"v": b"\xff"}),  # pypet files hold bytes
    ],
)
def test_supported_values_round_trip_through_json(value: object) -> None:
    assert check_value("p", value) is value
    back = decode(encode(value))
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value
        assert type(back) is type(value)


@pytest.mark.parametrize(
    "value", [object(), (1, [object()]), {1: 2}, np.array([object()]), np.zeros(200_000)]
)
def test_unsupported_values_name_the_parameter(value: object) -> None:
    with pytest.raises(ParameterError, match=r"neuron.tau_m"):
        check_value("neuron.tau_m", value)


def test_coerce_to_declared_type() -> None:
    assert coerce("x", 1.0, 2) == 2.0 and isinstance(coerce("x", 1.0, 2), float)
    assert coerce("x", 1, np.int64(3)) == 3
    assert coerce("x", (1, 2), [3, 4]) == (3, 4)
    assert coerce("x", np.float32(1), 2).dtype == np.float32
    with pytest.raises(ExplorationError, match=r"'x'"):
        coerce("x", 1.0, "fast")
    with pytest.raises(ExplorationError, match=r"'flag'"):
        coerce("flag", True, 1)


def test_bytes_are_values_of_their_own() -> None:
    """A pypet file written by Python 2 holds byte strings (saga_0.hdf5's ``versions.Sumatra``);
    before, encode() raised TypeError on them and np.bytes_ passed the check but could not be stored."""
    import json

    from neuroloom.params.tree import ParamTree

    assert canonical(b"ab") != canonical("ab") and canonical(b"ab") == canonical(b"ab")
    tree = ParamTree()
    tree.add("versions.sumatra", b"0.7.1")
    tree.add("versions.tag", np.bytes_(b"v1"))
    back = ParamTree.from_json(json.loads(json.dumps(tree.to_json())))
    assert back.values() == {"versions.sumatra": b"0.7.1", "versions.tag": np.bytes_(b"v1")}
    assert coerce("p", b"x", b"y") == b"y"
    with pytest.raises(ExplorationError, match="bytes"):
        coerce("p", b"x", "y")
