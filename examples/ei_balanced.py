"""The E/I balanced-network study from Python: run the study file, then ask the study questions.

    python examples/ei_balanced.py [STUDY.toml] [--set input.rate=...]

Runs ``examples/ei_balanced.toml`` (what ``neuroloom run`` and ``neuroloom demo``
do), then uses the study's views: mean rates per run and population over the
explored grid, the runs in the asynchronous-irregular regime, and the report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from neuroloom.report import build_report
from neuroloom.studyfile import run_study_file

HERE = Path(__file__).resolve().parent


def main(file: Path) -> None:
    study, report = run_study_file(file)
    print(report)
    # every spike of the study, one row per spike, with the run's parameters beside it
    setup = study["pipeline"]  # what the study file said, and the population sizes
    duration = float(setup["config"]["simulation"]["duration"])
    exc = study.filter(population="exc")
    # run parameters are spelled st_<name> in by= and in the table (docs/columns.md)
    by = ["st_input.rate", "st_syn.g"]
    rates = exc.mean_rates(duration / 5, duration, per="run", by=by, neurons={"exc": setup["sizes"]["exc"]})
    print(rates.pivot_table(index="st_syn.g", columns="st_input.rate", values="rate").round(1))
    # the asynchronous-irregular runs: moderate rates, irregular firing (scalars saved by each run)
    table = study.results("rate_exc").join(study.results("cv_exc")["cv_exc"])
    print(table[(table["rate_exc"].between(1, 30)) & (table["cv_exc"] > 0.5)])
    print(f"report: {build_report(study)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "ei_balanced.toml")
