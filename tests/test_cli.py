import json
import subprocess
import sys

from assay.cli import COMMANDS, main


def test_every_command_module_provides_the_cli_protocol():
    import importlib

    for name, (module, _) in COMMANDS.items():
        mod = importlib.import_module(module)
        assert callable(mod.add_arguments) and callable(mod.run), name


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "compare" in capsys.readouterr().out


def test_compare_through_the_console_script(tmp_path):
    report = {"schema": "assay-report/1", "assay_version": "0", "created": "now", "seed": 0, "models": [],
              "summary": {}, "tests": [{"nodeid": "t.py::a[m]", "name": "a", "type": "MFT", "capability": "C",
                                        "model": "m", "outcome": "passed", "passed": True, "error": None,
                                        "failure_rate": 0.0, "failed": 0, "cases": 10, "fingerprint": "f",
                                        "outcomes": "P" * 10, "max_failure_rate": 0.0}]}
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(report))
    worse = json.loads(json.dumps(report))
    worse["tests"][0].update(failure_rate=1.0, failed=10, outcomes="F" * 10, passed=False, outcome="failed")
    new.write_text(json.dumps(worse))
    run = subprocess.run([sys.executable, "-m", "assay.cli", "compare", str(old), str(new)], capture_output=True,
                         text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "regressed" in run.stdout
    same = subprocess.run([sys.executable, "-m", "assay.cli", "compare", str(old), str(old)], capture_output=True,
                          text=True)
    assert same.returncode == 0
    missing = subprocess.run([sys.executable, "-m", "assay.cli", "compare", str(old), str(tmp_path / "nope.json")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "nope.json" in missing.stderr
