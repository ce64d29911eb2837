"""Killed runs never leave the previous run's reports looking current (issue 11, item 8).

Real ``python -m pytest`` processes, stopped with SIGTERM, SIGKILL and SIGINT while they predict; the
JSON, HTML and JUnit files they were asked to write are read back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

SRC = Path(__file__).parents[1] / "src"

CONFTEST = '''
import os, time
import numpy as np, pytest

class SlowModel:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        if os.environ.get("SLOW_MODEL"):
            open("predicting", "w").close()   # tell the test we are inside the run
            time.sleep(120)
        return np.array([[0.9, 0.1] if "bad" in t else [0.1, 0.9] for t in inputs])

@pytest.fixture(scope="session")
def assay_model():
    return SlowModel()
'''

SUITE = '''
from assay import MFT
test_good = MFT(["good flight", "great seat"], "positive")
test_bad = MFT(["bad flight", "bad seat"], "negative")
'''

OUTPUTS = ("--assay-report=r.json", "--assay-html=r.html", "--junitxml=r.xml")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_suite.py").write_text(SUITE)
    return tmp_path


def pytest_process(folder: Path, *, slow: bool) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("SLOW_MODEL", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    if slow:
        env["SLOW_MODEL"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", *OUTPUTS]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def first_run(folder: Path) -> dict:
    process = pytest_process(folder, slow=False)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out.decode(errors="replace")
    report = json.loads((folder / "r.json").read_text())
    assert report["complete"] is True and len(report["tests"]) == 2
    return report


def stopped_run(folder: Path, sig: signal.Signals) -> int:
    process = pytest_process(folder, slow=True)
    deadline = time.monotonic() + 120
    while not (folder / "predicting").exists():
        assert process.poll() is None, process.stdout.read().decode(errors="replace")
        assert time.monotonic() < deadline, "the run never reached its model"
        time.sleep(0.05)
    process.send_signal(sig)
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_no_report_that_looks_current(project, sig):
    before = first_run(project)
    assert stopped_run(project, sig) == -sig
    report = json.loads((project / "r.json").read_text())
    assert report["created"] >= before["created"] and report != before
    assert report["complete"] is False and report["session"]["status"] == "running"
    assert report["tests"] == []
    page = (project / "r.html").read_text(encoding="utf-8")
    assert "has not finished" in page and "test_good" not in page
    root = ET.parse(project / "r.xml").getroot()
    names = [c.get("name") for c in root.iter("testcase")]
    assert "test_good[demo]" not in names
    errors = [e.get("message", "") for e in root.iter("error")]
    assert errors and "has not finished" in errors[0]


def test_an_early_ctrl_c_rewrites_every_report(project):
    first_run(project)
    returncode = stopped_run(project, signal.SIGINT)
    assert returncode == pytest.ExitCode.INTERRUPTED
    report = json.loads((project / "r.json").read_text())
    assert report["complete"] is False and report["session"]["status"] == "interrupted"
    assert report["session"]["selected"] == 2 and report["session"]["run"] == 0
    page = (project / "r.html").read_text(encoding="utf-8")
    assert 'class="incomplete"' in page and "0 of 2" in page
    root = ET.parse(project / "r.xml").getroot()
    assert "test_good[demo]" not in [c.get("name") for c in root.iter("testcase")]


def test_a_finished_run_replaces_the_marks(project):
    first_run(project)
    stopped_run(project, signal.SIGKILL)
    report = first_run(project)
    assert report["session"]["status"] == "finished"
    assert "has not finished" not in (project / "r.html").read_text(encoding="utf-8")
    root = ET.parse(project / "r.xml").getroot()
    assert sorted(c.get("name") for c in root.iter("testcase")) == ["test_bad[demo]", "test_good[demo]"]
