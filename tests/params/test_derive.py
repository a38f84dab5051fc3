"""derive() checks its callback's signature when it is declared."""

from __future__ import annotations

from pathlib import Path

import pytest

import neuroloom as nl
from neuroloom.errors import ParameterError
from neuroloom.study.run import Run


def test_a_find_style_callback_is_refused_at_once_with_the_fix(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["input.rate"] = 5.0
    study.params["tau_m"] = 10.0
    with pytest.raises(ParameterError, match=r"fn takes \(rate, tau_m\).*lambda p: "):
        study.params.derive("prod", lambda rate, tau_m: rate * tau_m)
    with pytest.raises(ParameterError, match=r"fn takes \(rate\)"):
        study.params.derive("double", lambda rate: rate * 2)  # a parameter's name: by-name style
    with pytest.raises(ParameterError, match="must be callable"):
        study.params.derive("bad", 3)  # type: ignore[arg-type]
    assert "prod" not in study.params.derived


def _job(run: Run) -> float:
    return float(run.params.prod)


def test_a_namespace_callback_is_accepted_and_runs(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["input.rate"] = 5.0
    study.params["tau_m"] = 10.0
    study.params.derive("prod", lambda p: p.input.rate * p.tau_m)
    study.params.derive("with_default", lambda params, scale=2.0: params.tau_m * scale)
    study.explore(nl.grid(tau_m=[10.0, 20.0]))
    study.run(_job, backend="serial", progress=False)
    assert study.results("return")["return"].tolist() == [50.0, 100.0]
