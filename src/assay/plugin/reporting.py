"""The controller's side of a run: every item's record, how far the session got, and the reports.

:func:`attach` runs in every process (under xdist in the workers) and puts an item's record on its
pytest report, with pytest's own verdict: ``error`` when the item could not be judged (its setup
failed), ``failed`` when it was judged and failed. :class:`Reporter` runs on the controller (or the
only process): it marks the outputs as "not finished" when the session starts, gathers the records
and the collection errors, follows which selected items ran, and writes the reports at the end.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from assay.errors import AssayError, AssayFailure
from assay.plugin.items import AssayItem
from assay.plugin.options import AssayOptions
from assay.plugin.predictions import model_notices
from assay.plugin.session import identity
from assay.plugin.state import state
from assay.report.json_report import build_report, now, write_report
from assay.report.marks import junit_path, mark_running
from assay.report.record import SessionRecord, incompleteness

_ERROR_TEXT = 4000  # characters of a collection error kept in the report


def attach(item: AssayItem, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """Put the item's record on ``report`` (so it travels back from xdist workers), with the outcome
    pytest gives it; make an assay error's report its one-line message."""
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, (AssayError, AssayFailure)) and report.when != "call":
        report.longrepr = str(error)  # setup / teardown: one line, as repr_failure does for the call
    if report.when != "call" and report.passed:
        return
    record = dict(item.assay_result) if item.assay_result is not None else identity(item)
    if report.skipped:
        record.update(outcome="skipped", passed=None, error=None)
    elif report.failed:
        record.update(outcome="failed" if report.when == "call" else "error", passed=False, phase=report.when)
        if not isinstance(error, AssayFailure):
            record["error"] = str(error) if isinstance(error, AssayError) else f"{type(error).__name__}: {error}"
    else:
        record.update(outcome="passed", passed=True)
    report.assay = record  # type: ignore[attr-defined]


def collection_record(report: pytest.CollectReport, rootpath: Any) -> dict[str, Any]:
    """A collection error as a report entry (an error with no type, capability or model). assay's
    own errors start with the file's path and the test's name, which the node id already says."""
    nodeid = report.nodeid
    text = report.longreprtext.strip()
    file, _, name = nodeid.partition("::")
    for prefix in (f"{rootpath / file}::{name}: ", f"{rootpath / file}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return {"nodeid": nodeid, "name": nodeid.rsplit("::", 1)[-1] if "::" in nodeid else nodeid,
            "type": None, "capability": None, "model": None, "outcome": "error", "passed": False,
            "phase": "collect", "error": text if len(text) <= _ERROR_TEXT else text[:_ERROR_TEXT - 1] + "…"}


class Reporter:
    """Registered on the controller (or the only process) by the plugin's ``pytest_configure``."""

    def __init__(self, config: pytest.Config, options: AssayOptions):
        self.config = config
        self.options = options
        self.records: dict[str, dict[str, Any]] = {}
        self.messages: list[str] = []
        self.started = now()
        self.selected: int | None = None
        self.ran: set[str] = set()
        self.collection_errors = 0
        self.stopped: str | None = None
        self.junit_marked = False

    def session_record(self, status: str, reason: str | None = None,
                       exitstatus: int | None = None) -> SessionRecord:
        return {"status": status, "reason": reason, "exitstatus": exitstatus, "started": self.started,  # type: ignore[typeddict-item]
                "selected": self.selected, "run": len(self.ran), "collection_errors": self.collection_errors}

    # -- the start: nothing from an earlier run may look like this run's ------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        opts = self.options
        uses_assay = bool(opts.report or opts.html or opts.baseline or self.config.option.assay_model
                          or self.config.getini("assay_models"))
        self._mark(json=True, html=True, junit=uses_assay)

    def _mark(self, *, json: bool, html: bool, junit: bool) -> None:
        junit_file = junit_path(self.config.getoption("xmlpath", None)) if junit and not self.junit_marked else None
        self.junit_marked = self.junit_marked or bool(junit_file)
        mark_running(self.session_record("running"), json_path=self.options.report if json else None,
                     html_path=self.options.html if html else None, junit_path=junit_file)

    # -- collection ------------------------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1
            self.records[report.nodeid] = collection_record(report, self.config.rootpath)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = len(session.items)
        if not self.junit_marked and any(isinstance(item, AssayItem) for item in session.items):
            self._mark(json=False, html=False, junit=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.selected is None:  # every worker collects the same items
            self.selected = len(ids)

    # -- running ---------------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "assay", None)
        if record is not None:
            self.records[record["nodeid"]] = record
        if report.when == "teardown":
            self.ran.add(report.nodeid)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        value = excinfo.value
        if isinstance(value, pytest.Session.Interrupted):
            self.stopped = str(value)
        elif isinstance(value, KeyboardInterrupt):
            self.stopped = "KeyboardInterrupt (Ctrl-C)"
        else:
            self.stopped = f"pytest.exit: {value}"

    # -- the end ---------------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the reports and check the baseline covered this suite."""
        status, reason = self._how_it_ended(session, exitstatus)
        baseline = state(self.config).baseline
        if baseline is not None and status == "finished":
            mismatch = baseline.suite_mismatch([r["name"] for r in self.records.values() if r.get("model")])
            if mismatch:
                self.messages.append(f"assay: ERROR {mismatch}")
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.messages.extend(model_notices(r for r in self.records.values() if r.get("model") is not None))
        report = build_report(self.records.values(), state(self.config).seed,
                              self.session_record(status, reason, int(exitstatus)))
        opts = self.options
        if opts.report:
            write_report(report, opts.report)
            self.messages.append(f"assay: wrote JSON report {opts.report}")
        if opts.html:
            from assay.report.html import write_html

            write_html(report, opts.html)
            self.messages.append(f"assay: wrote HTML report {opts.html}")
        why = incompleteness(report)
        if why and (opts.report or opts.html):
            self.messages.append(f"assay: the report is incomplete: {why}")

    def _how_it_ended(self, session: pytest.Session, exitstatus: int) -> tuple[str, str | None]:
        if self.stopped or exitstatus == pytest.ExitCode.INTERRUPTED:
            return "interrupted", self.stopped or "interrupted"
        stop = session.shouldfail or session.shouldstop
        if stop:
            return "interrupted", str(stop)
        if self.config.getoption("collectonly"):
            return "finished", "--collect-only: no test ran"
        if self.selected is not None and len(self.ran) < self.selected:
            return "finished", f"{self.selected - len(self.ran)} selected items did not run"
        return "finished", None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.records and not self.messages:
            return
        from assay.report.terminal import summary_lines

        terminalreporter.section("assay summary")
        width = max(40, min(shutil.get_terminal_size().columns, 120))  # what pytest's own writer uses
        tested = [r for r in self.records.values()]
        for line in summary_lines(tested, width=width) + self.messages:
            terminalreporter.write_line(line)
