"""assay changes no process-wide state behind a user's back: not when imported, not when it plots or
writes a file. Each check runs in a fresh interpreter, so what the test suite itself has imported or
configured cannot hide a change."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from assay.atomic import write_json_atomic, write_text_atomic

pytestmark = pytest.mark.slow  # each test starts a Python interpreter and imports torch


def run_python(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("MPLBACKEND", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_every_assay_module_changes_no_global_state():
    result = run_python('''
        import importlib, json, os, pkgutil, random, sys
        import matplotlib
        matplotlib.use("svg")  # a user's own backend choice
        import numpy as np
        from hypothesis import settings
        settings.register_profile("ci", max_examples=7)  # a user's own "ci" profile
        settings.load_profile("ci")

        def state():
            mask = os.umask(0o022); os.umask(mask)
            return {
                "backend": matplotlib.get_backend(),
                "ci_profile": repr(settings.get_profile("ci")),
                "current_profile": repr(settings.default),
                "umask": mask,
                "random": hash(random.getstate()),
                "numpy_random": int(np.random.get_state()[2]) + int(np.random.get_state()[1].sum()),
            }

        os.umask(0o027)
        before = state()
        import assay
        names = [m.name for m in pkgutil.walk_packages(assay.__path__, "assay.")
                 if not m.name.endswith("__main__")]
        for name in names:
            importlib.import_module(name)
        print(json.dumps({"before": before, "after": state(), "imported": len(names)}))
    ''')
    assert result["imported"] > 30
    assert result["after"] == result["before"]


def test_plots_leave_the_users_matplotlib_backend_alone(tmp_path):
    result = run_python(f'''
        import json, sys
        import numpy as np
        import matplotlib
        matplotlib.use("svg")
        from assay.explain.head_functions import plot_function_heatmaps
        from assay.explain.probes import plot_probe_curves
        from assay.heads.plot import heatmap
        scores = {{"previous_token": np.random.default_rng(0).random((2, 3)), "cls": np.full((2, 3), np.nan)}}
        plot_function_heatmaps(scores, {str(tmp_path / "functions.png")!r})
        rows = [{{"layer": l, "pooling": "cls", "accuracy": 0.5 + l / 10, "majority": 0.5}} for l in range(3)]
        plot_probe_curves({{"negation": rows}}, {str(tmp_path / "probes.png")!r})
        heatmap(np.eye(2), {str(tmp_path / "heads.png")!r})
        pyplot = sys.modules.get("matplotlib.pyplot")  # captum imports it; it must hold no figure of ours
        print(json.dumps({{"backend": matplotlib.get_backend(), "figures": pyplot.get_fignums() if pyplot else []}}))
    ''')
    assert result == {"backend": "svg", "figures": []}
    for name in ("functions.png", "probes.png", "heads.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_atomic_writes_never_set_the_umask(tmp_path, monkeypatch):
    # os.umask is the only way to read the umask, and it sets it too: for a moment every file another
    # thread creates would get mode 0o666. A plain open() never touches it, and neither may we.
    mask = os.umask(0o027)
    try:
        def forbidden(*args):
            raise AssertionError("os.umask called")

        monkeypatch.setattr(os, "umask", forbidden)
        write_text_atomic("hello", tmp_path / "a.txt")
        write_json_atomic({"a": 1}, tmp_path / "sub" / "b.json")
    finally:
        monkeypatch.undo()
        os.umask(mask)
    for path in (tmp_path / "a.txt", tmp_path / "sub" / "b.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0o666 less the umask, as open() would give
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.json", "sub"]  # no temporary left
