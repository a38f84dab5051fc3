"""Reports of studies: ``report.html`` with phase diagrams, rasters, PSTHs and tables.

::

    from neuroloom.report import build_report
    page = build_report("ei-study")        # -> ei-study/report/report.html
"""

from __future__ import annotations

from neuroloom.report.html import REPORT_DIR, build_report
from neuroloom.studyfile.stats import results_table, run_statistics

__all__ = ["REPORT_DIR", "build_report", "results_table", "run_statistics"]
