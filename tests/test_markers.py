"""``pytest -m "not slow"`` is the fast inner loop: every test that starts a process (a subprocess,
pytest-xdist workers, a forked builder) or a browser carries ``@pytest.mark.slow``.

Checked by reading the test modules (ast), so a new test that spawns a process without the mark fails
here instead of quietly slowing the inner loop down.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
SPAWNING_CALLS = {"runpytest_subprocess", "Popen", "get_context", "check_output"}


def _is_slow_mark(node: ast.expr) -> bool:
    return "mark.slow" in ast.unparse(node)


def _spawns(function: ast.AST, helpers: set[str]) -> str | None:
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in SPAWNING_CALLS or name in helpers:
            return name
        if name == "run" and isinstance(func, ast.Attribute) and ast.unparse(func.value) == "subprocess":
            return "subprocess.run"
        if name.startswith("runpytest") and any(isinstance(a, ast.Constant) and a.value == "-n" for a in node.args):
            return "pytest -n (xdist)"
    return None


def unmarked_slow_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_slow = any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
        and _is_slow_mark(node.value) for node in tree.body
    )
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    helpers: set[str] = set()
    for _ in range(3):  # helpers that call helpers that spawn
        helpers |= {f.name for f in functions if not f.name.startswith("test_") and _spawns(f, helpers)}
    found = []
    for f in functions:
        if not f.name.startswith("test_") or module_slow or any(_is_slow_mark(d) for d in f.decorator_list):
            continue
        why = _spawns(f, helpers) or ("a browser" if any(a.arg == "browser" for a in f.args.args) else None)
        if why:
            found.append(f"{path.name}::{f.name} ({why})")
    return found


def test_process_and_browser_tests_are_marked_slow():
    found = [entry for path in sorted(TESTS.glob("test_*.py")) for entry in unmarked_slow_tests(path)]
    assert found == [], "mark these @pytest.mark.slow: " + "; ".join(found)


def test_the_check_sees_what_it_should(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text('''
import subprocess, pytest

def run_it():
    return subprocess.run(["true"])

def test_helper(): run_it()
def test_xdist(pytester): pytester.runpytest("-n", "2")
def test_page(browser): pass
def test_plain(pytester): pytester.runpytest("-q")

@pytest.mark.slow
def test_marked(pytester): pytester.runpytest_subprocess()
''')
    assert unmarked_slow_tests(sample) == [
        "test_sample.py::test_helper (run_it)",
        "test_sample.py::test_xdist (pytest -n (xdist))",
        "test_sample.py::test_page (a browser)",
    ]
