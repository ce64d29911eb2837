"""Reports of a run: the JSON record (schema ``assay-report/1``), the terminal summary and the HTML page.

>>> from assay.report import build_report, write_report      # doctest: +SKIP
"""

from __future__ import annotations

from assay.report.json_report import SCHEMA, build_report, write_report

__all__ = ["SCHEMA", "build_report", "write_report"]
