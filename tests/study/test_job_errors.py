"""S19: a job's real error is kept (chained), whatever its constructor (issue 11)."""

from __future__ import annotations

import pytest

from neuroloom.errors import NeuroloomError, ParameterError, SimulationError, with_context


class ModelError(Exception):
    """A user's exception whose constructor is not ``(message)``."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"model error {code}: {detail}")
        self.code = code


class CodedSimulationError(SimulationError):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ModelError(7, "diverged"), NeuroloomError),
        (CodedSimulationError(3, "no cell"), NeuroloomError),
        (SimulationError("plain"), SimulationError),
        (ParameterError("a KeyError too"), ParameterError),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), NeuroloomError),
    ],
)
def test_with_context_keeps_the_real_error(exc: BaseException, kind: type[Exception]) -> None:
    with pytest.raises(kind, match=r"^file.toml: ") as info:
        try:
            raise exc
        except Exception as err:
            raise with_context(err, f"file.toml: {err}") from err
    assert info.value.__cause__ is exc
