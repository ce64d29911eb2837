"""The HTML report: self-contained, escaped, complete — checked as text and in a real headless Chromium."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from markupsafe import escape
from hypothesis import strategies as st

from assay.baseline import Comparison, compare_test
from assay.report.html import diff_words, heatmap_png, rate_colour, render_html, write_html

LABELS = ["negative", "neutral", "positive"]
XSS_NAME = "<script>window.__pwned = 1</script>"
XSS_INPUT = '<img src=x onerror="window.__pwned = 2"> great flight'
XSS_MODEL = 'cand"<b>'


def _test(name, model, type_, capability, outcomes, failing_cases=(), **extra):
    failed, applicable = outcomes.count("F"), sum(o != "N" for o in outcomes)
    return {
        "nodeid": f"suite.py::{name}[{model}]", "name": name, "type": type_, "capability": capability,
        "description": f"{name} & <friends>", "model": model, "labels": LABELS,
        "outcome": "failed" if failed else "passed", "passed": not failed, "error": None,
        "failure_rate": failed / applicable, "failed": failed, "cases": applicable,
        "not_applicable": len(outcomes) - applicable, "total_cases": len(outcomes), "ci_low": 0.0, "ci_high": 0.5,
        "max_failure_rate": 0.0, "seed": 0, "fingerprint": f"fp-{name}", "outcomes": outcomes,
        "failing_cases": list(failing_cases), "by_perturbation": {}, "extra": {}, **extra,
    }


def _case(inputs, perturbations, predicted, **extra):
    return {"index": 0, "inputs": inputs, "perturbations": perturbations, "expected": None, "predicted": predicted,
            "probs": [[0.1, 0.2, 0.7] for _ in inputs], "failing_inputs": list(range(1, len(inputs))),
            "reason": "prediction changed", **extra}


def sample_report() -> dict:
    typo_case = _case(["The flight was great, thanks", XSS_INPUT], [None, "typos</td>"], ["positive", "negative"],
                      explanations={"lime": [["great", 0.8], ["flight", -0.3], ["<img>", 0.1]],
                                    "integrated_gradients": [["great", 0.5], ["flight", 0.0], ["<img>", float("nan")]]})
    pair_case = _case([["is the seat wide", "seat review"], ["is teh seat wide", "seat review"]], [None, "typos"],
                      ["neutral", "negative"])
    dir_case = _case(["The crew was nice.", "The crew was not nice."], [None, "add_negation"], ["positive", "positive"])
    tests = [
        _test(XSS_NAME, "release", "MFT", "Negation", "PFPPNF",
              [_case(["The food was not good."], [None], ["positive"], expected=["negative"])]),
        _test("typos", "release", "INV", "Robustness", "PPPF", [typo_case, pair_case]),
        _test("negation_dir", "release", "DIR", "Negation", "PPF", [dir_case]),
        _test("mask_head", "release", "HEADS", "Attention heads", "PPPPPPPPPF",
              extra={"layer": 1, "head": 2, "agreement": 0.9, "importance": [[0.1, 0.9, 0.3, 0.2], [0.5, 0.05, 1.0, 0.4]]}),
        _test("typos", XSS_MODEL, "INV", "Robustness", "PFFF", [typo_case]),
        {**_test("broken", XSS_MODEL, "MFT", "Vocabulary", "P"), "outcome": "error", "failure_rate": None,
         "error": "PredictionError: NaN <b>bold</b>\ntraceback line"},
    ]
    previous = _test("typos", "release", "INV", "Robustness", "PPPP")
    tests[4]["baseline"] = compare_test(tests[4], previous, max_regression=0.0, alpha=0.5).to_dict()
    return {
        "schema": "assay-report/1", "assay_version": "0.1.0", "created": "2026-01-02T03:04:05+00:00", "seed": 0,
        "models": [{"name": "release", "source": "./release", "fingerprint": "abc", "labels": LABELS, "stats": {}},
                   {"name": XSS_MODEL, "source": "./cand", "fingerprint": "def", "labels": LABELS, "stats": {}}],
        "summary": {"tests": len(tests)}, "tests": tests,
    }


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_script = False


def parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


# ------------------------------------------------------------------------------ as text


def test_page_is_self_contained_and_escaped():
    page = render_html(sample_report())
    elements = parse(page)
    assert len(elements.scripts) == 1 and "__pwned" not in elements.scripts[0]
    for tag, attrs in elements.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("src", "href", "action", "srcset"):
            if attrs.get(name) is not None:
                assert attrs[name].startswith(("data:image/png;base64,", "#")), (tag, attrs)
    assert [t for t, _ in elements.tags if t in ("link", "iframe", "object", "embed")] == []
    assert not re.search(r"https?://", page)
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;" in page
    assert str(escape(XSS_MODEL)) in page and "typos&lt;/td&gt;" in page
    assert "PredictionError: NaN &lt;b&gt;bold&lt;/b&gt;" in page
    csp = next(a["content"] for t, a in elements.tags if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp


def test_capability_matrix_has_a_column_group_per_model():
    elements = parse(render_html(sample_report()))
    groups = [a.get("colspan") for t, a in elements.tags if t == "th" and a.get("colspan")]
    assert groups == ["4", "4"]  # release and candidate, each MFT INV DIR HEADS
    page = render_html(sample_report())
    matrix = page[page.index('<table class="matrix">'):page.index("</table>", page.index('<table class="matrix">'))]
    assert matrix.index(">MFT<") < matrix.index(">INV<") < matrix.index(">DIR<") < matrix.index(">HEADS<")
    for rate in ("40.0%", "25.0%", "33.3%", "10.0%", "75.0%"):  # failed / applicable of each cell
        assert rate in matrix
    assert "1 error" in matrix
    single = sample_report()
    single["tests"] = [t for t in single["tests"] if t["model"] == "release"]
    single["models"] = single["models"][:1]
    assert 'colspan' not in render_html(single).split('<table class="matrix">')[1].split("</table>")[0]


def test_rate_colours_run_from_green_to_red():
    hues = [int(re.match(r"hsl\((\d+)", rate_colour(r)).group(1)) for r in (0.0, 0.05, 0.2, 0.5, 1.0)]
    assert hues == sorted(hues, reverse=True) and hues[0] == 130 and hues[-1] == 0


def test_failing_examples_highlight_changed_words_and_attributions():
    page = render_html(sample_report())
    assert '<mark class="ins">&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt; great</mark> flight' in page
    assert '<mark class="del">The</mark>' in page      # what the perturbation removed from the original
    assert '<mark class="ins">not</mark>' in page      # DIR: the added negation
    assert '<mark class="ins">teh</mark>' in page and '<span class="sep">‖</span>' in page  # pair inputs, per side
    assert page.count('class="t"') == 2 * 6 and 'title="+0.800"' in page and 'title="+0.000"' in page
    assert 'rgba(230,110,0,0.85)' in page and 'rgba(40,110,220,0.32)' in page  # +0.8 strongest, -0.3 lighter


def test_baseline_section_and_head_heatmap():
    page = render_html(sample_report())
    assert 'id="baseline"' in page and "↑ +75.0 pp" in page and 'class="badge regressed"' in page
    assert "data:image/png;base64," in page and 'id="heads"' in page
    assert "layer = 1 · head = 2 · agreement = 0.9 · heatmap below" in page  # head-check figures, matrix plotted
    without = sample_report()
    without["tests"] = [t for t in without["tests"] if "baseline" not in t and t["type"] != "HEADS"]
    bare = render_html(without)
    assert 'id="baseline"' not in bare and 'id="heads"' not in bare
    comparisons = {("typos", "release"): Comparison("improved", "fewer failures", delta=-0.5, p_value=0.01)}
    assert "↓ -50.0 pp" in render_html(without, comparisons=comparisons)


def test_heatmap_is_a_png_of_the_right_shape():
    from matplotlib import image

    data = base64.b64decode(heatmap_png([[0.0, 1.0, 0.5], [0.2, 0.3, 0.9]], title="t"))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(io.BytesIO(data), format="png")
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > pixels.shape[0]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
       st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_word_diff_keeps_both_texts(original, changed):
    left, right = diff_words(original, changed)
    strip = lambda s: html.unescape(re.sub(r"</?mark[^>]*>", "", s))  # noqa: E731
    assert strip(left) == original and strip(right) == changed
    assert "<" not in re.sub(r"</?mark[^>]*>", "", left + right)
    if original == changed:
        assert "<mark" not in left + right


def test_write_html_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "r.html"
    write_html(sample_report(), path)
    before = path.read_bytes()
    broken = sample_report()
    broken["tests"][1]["failing_cases"] = 7  # not a list: shown without examples, never a crash
    assert "typos" in render_html(broken)
    import assay.report.html as html_report

    def fail(*args, **kwargs):
        raise RuntimeError("matplotlib broke")

    monkeypatch.setattr(html_report, "heatmap_png", fail)  # rendering fails before anything is written
    with pytest.raises(RuntimeError):
        write_html(sample_report(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["r.html"]


# ------------------------------------------------------------------------------ in a real browser


def _executable(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser():
    chromium = _executable("chromium", "chromium-browser", "google-chrome")
    driver_path = _executable("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if not (chromium and driver_path and webdriver):
        missing = "selenium" if webdriver is None else "chromium / chromedriver"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{missing} missing in CI: apt-get install chromium chromium-driver; pip install selenium")
        pytest.skip(f"{missing} not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="assay-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path: Path) -> list[dict]:
    """Load ``path`` and return the console errors (and CSP violations, failed loads) it produced."""
    driver.get_log("browser")  # drop anything left from an earlier page
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.slow  # a real browser
def test_detector_sees_console_errors(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('deliberate error');"
                    "console.log('harmless log line');</script><script>undefinedFunction()</script>")
    errors = open_page(browser, page)
    messages = " ".join(e["message"] for e in errors)
    assert "deliberate error" in messages and "undefinedFunction" in messages and "harmless log line" not in messages
    # The report's Content-Security-Policy blocks external loads and unlisted scripts: both are errors too.
    page.write_text("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
                    "<img src=\"http://example.invalid/x.png\"><script>var a = 1;</script>")
    messages = " ".join(e["message"] for e in open_page(browser, page))
    assert "example.invalid" in messages and "inline script" in messages


@pytest.mark.slow  # a real browser
def test_report_page_in_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    report = sample_report()
    path = tmp_path / "report.html"
    write_html(report, path)
    assert open_page(browser, path) == []
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.title == "assay report"
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.matrix td.cell")) > 0
    details = browser.find_elements(By.CSS_SELECTOR, "details.test")
    assert len(details) == len(report["tests"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "mark.ins")) >= 3
    assert browser.execute_script(
        "var i = document.querySelector('#heads img'); return i.complete && i.naturalWidth > 100")
    assert browser.find_element(By.CSS_SELECTOR, "#baseline .badge.regressed").text == "regressed"
    browser.find_element(By.CSS_SELECTOR, "button[data-open='0']").click()
    assert browser.execute_script("return document.querySelectorAll('details.test[open]').length") == 0
    browser.find_element(By.CSS_SELECTOR, "button[data-open='1']").click()
    assert browser.execute_script("return document.querySelectorAll('details.test[open]').length") == len(details)
    browser.find_element(By.CSS_SELECTOR, "button[data-only-failing]").click()
    hidden = browser.execute_script("return document.querySelectorAll('details.test[hidden]').length")
    assert hidden == sum(t["outcome"] == "passed" for t in report["tests"])
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


SUITE = '''
from assay import MFT, INV, DIR, expect
test_negated = MFT(["the flight was not good", "the seat was not great"], label="negative", capability="Negation")
test_shout = INV(["good flight", "bad seat"], lambda s: [s.upper(), s + " not"], capability="Robustness")
test_more = DIR(pairs=[("good", "not good")], expect=expect.moves_away_from("positive"), capability="Negation")
'''

CONFTEST = '''
import numpy as np, pytest

class KeywordModel:
    labels = ["negative", "neutral", "positive"]
    def predict_proba(self, inputs):
        texts = [x if isinstance(x, str) else " ".join(x) for x in inputs]
        return np.array([[0.7, 0.2, 0.1] if "bad" in t else [0.1, 0.2, 0.7] for t in texts])

@pytest.fixture(scope="session")
def assay_model():
    return KeywordModel()
'''


@pytest.mark.slow  # a real browser
def test_plugin_writes_a_page_that_loads_cleanly(browser, pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("--assay-report=r.json", "--assay-html=r.html", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)  # negation, shouting "BAD SEAT" loses the cue word, DIR
    report = json.loads((pytester.path / "r.json").read_text())
    assert open_page(browser, pytester.path / "r.html") == []
    from selenium.webdriver.common.by import By

    assert len(browser.find_elements(By.CSS_SELECTOR, "details.test")) == len(report["tests"]) == 3
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.test.failed[open]")) == 3
    assert browser.find_elements(By.CSS_SELECTOR, "mark.ins")  # the INV 'not' suffix is highlighted


def test_a_head_sweep_shares_one_heatmap():
    report = sample_report()
    sweep = [t for t in report["tests"] if t["type"] == "HEADS"][0]
    report["tests"] += [{**sweep, "name": f"mask_head_{i}", "nodeid": f"suite.py::mask_head_{i}"} for i in range(3)]
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 1 and "mask_head [release] and 3 more" in page
    other = {**sweep, "model": "other", "extra": {"importance": [[1.0, 0.0], [0.5, 0.5]]}}
    report["tests"].append(other)
    assert render_html(report).count("data:image/png;base64,") == 2


def test_a_test_with_truncated_inputs_says_so_with_the_model_limit():
    report = sample_report()
    report["models"][0]["max_length"] = 512
    report["tests"][1]["truncated"] = 3  # typos on "release"
    report["tests"][4]["truncated"] = 0  # typos on the other model: nothing cut, nothing said
    page = render_html(report)
    assert page.count("inputs truncated") == 1
    assert "3 inputs truncated to 512 tokens" in page
    report["tests"][1]["truncated"] = 1
    del report["models"][0]["max_length"]
    assert str(escape("1 input truncated to the model's token limit")) in render_html(report)
