"""Reports of a run: the record type (schema ``assay-report/1``), one formatter set, and the JSON,
terminal and HTML writers.

    record.py       the record type (TypedDicts), SCHEMA, what "complete" means
    load.py         reading a report back: validated, checked for completeness
    format.py       percentages, deltas, p-values, the pooled capability cell
    json_report.py  building and writing the JSON report (and the mark a run leaves at its start)
    terminal.py     the summary table at the end of a pytest run
    html.py         the self-contained HTML page (templates/ holds its markup)

>>> from assay.report import build_report, write_report      # doctest: +SKIP
"""

from __future__ import annotations

from assay.report.json_report import build_report, write_report
from assay.report.record import SCHEMA

__all__ = ["SCHEMA", "build_report", "write_report"]
