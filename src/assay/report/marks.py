"""What a run leaves at its start in every report it was asked to write: a JSON report, an HTML page
and a JUnit file that all say "this run has not finished". The finished run replaces them; a run
that is killed (SIGTERM, SIGKILL, power loss) leaves them, so nobody mistakes the previous run's
reports for this one's."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

from assay.atomic import write_text_atomic
from assay.report.json_report import running_report, write_report
from assay.report.record import SessionRecord

NOT_FINISHED = "this pytest run has not finished: it is still running, or it was killed"


def mark_running(session: SessionRecord, *, json_path: Any = None, html_path: Any = None, junit_path: Any = None) -> None:
    """Replace each given output with a report of a run that has not finished."""
    report = running_report(session)
    if json_path:
        write_report(report, json_path)
    if html_path:
        from assay.report.html import write_html

        write_html(report, html_path)
    if junit_path:
        write_text_atomic(running_junit(session["started"]), junit_path)


def running_junit(started: str) -> str:
    """A JUnit file with one error: CI tools that read it see a broken run, not the last green one."""
    suites = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(suites, "testsuite", name="pytest", errors="1", failures="0", skipped="0", tests="1",
                          time="0", timestamp=started)
    case = ET.SubElement(suite, "testcase", classname="assay", name="run not finished", time="0")
    ET.SubElement(case, "error", message=f"{NOT_FINISHED} (started {started})").text = (
        "assay wrote this file when the run started; pytest replaces it when the run ends.")
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(suites, encoding="unicode") + "\n"


def junit_path(xmlpath: str | None) -> str | None:
    """Where pytest's ``--junitxml`` will write (pytest resolves the option the same way)."""
    if not xmlpath:
        return None
    return os.path.normpath(os.path.abspath(os.path.expanduser(os.path.expandvars(xmlpath))))
