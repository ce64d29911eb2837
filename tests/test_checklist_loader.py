"""Reading CheckList suites: nothing in a pickle runs, bounds hold, the released suites import."""

from __future__ import annotations

import pickle
import sys
import tarfile
from pathlib import Path

import pytest

from assay.checklist import UnsafePickle, load_suite
from assay.checklist.plain import FunctionRecord, UnknownCallable, plain
from assay.checklist.unpickle import StandIn, load_pickle_bytes
from assay.errors import AssayError, DeclarationError

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "checklist"
SENTIMENT = SHARED / "sentiment_suite.tar.gz"
QQP = SHARED / "qqp_suite.tar.gz"
SENTIMENT_LABELS = ["negative", "neutral", "positive"]


def _global_call(module: str, name: str, arg: str) -> bytes:
    """Protocol-0 bytes for ``module.name(arg)``: what a malicious pickle does on load."""
    return f"c{module}\n{name}\n(V{arg}\ntR.".encode()


@pytest.mark.parametrize("module, name", [("os", "system"), ("posix", "system"), ("builtins", "exec"),
                                          ("builtins", "eval"), ("subprocess", "getoutput")])
def test_a_pickle_that_would_run_a_command_runs_nothing(tmp_path, module, name):
    marker = tmp_path / "ran"
    code = f"touch {marker}" if name in ("system", "getoutput") else f"open({str(marker)!r}, 'w').write('x')"
    data = _global_call(module, name, code)
    obj = load_pickle_bytes(data)
    assert isinstance(obj, StandIn) and not marker.exists()  # recorded as data, never called
    record = plain(obj)
    assert isinstance(record, UnknownCallable) and record.args == (code,)
    assert not marker.exists()


def test_the_same_pickle_does_run_under_plain_pickle(tmp_path):
    """The control: the crafted bytes are a real attack (so the test above proves something)."""
    marker = tmp_path / "ran"
    pickle.loads(_global_call("builtins", "exec", f"open({str(marker)!r}, 'w').write('x')"))
    assert marker.exists()


def test_a_malicious_suite_file_is_refused_in_one_line(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(_global_call("os", "system", f"touch {marker}"))
    with pytest.raises(UnsafePickle) as info:
        load_suite(path)
    assert "not a CheckList TestSuite" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_reduce_build_and_setstate_record_state_only(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",), {"state": 1})

    obj = load_pickle_bytes(pickle.dumps(Evil(), protocol=4))
    assert not marker.exists() and obj.state == {"state": 1}
    assert "system" in obj.full_name


def test_no_checklist_or_dill_is_imported(tmp_path):
    data = b"\x80\x03cchecklist.test_suite\nTestSuite\n)\x81}X\x05\x00\x00\x00testsq\x00}sb."
    before = set(sys.modules)
    plain(load_pickle_bytes(data))
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("checklist", "dill")}


def test_a_deeply_nested_pickle_is_refused_in_one_line():
    depth = 5000
    data = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    with pytest.raises(UnsafePickle, match="nests deeper"):
        plain(load_pickle_bytes(data))


def test_a_huge_pickle_is_refused(monkeypatch, tmp_path):
    import assay.checklist.unpickle as unpickle

    monkeypatch.setattr(unpickle, "MAX_BYTES", 100)
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps(list(range(1000))))
    with pytest.raises(UnsafePickle, match="over the 100-byte limit"):
        load_suite(path)


def test_garbage_is_a_one_line_error(tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(UnsafePickle) as info:
        load_suite(path)
    assert str(info.value).startswith(str(path))


def test_an_archive_without_one_pickle_is_refused(tmp_path):
    path = tmp_path / "s.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        (tmp_path / "a.txt").write_text("x")
        archive.add(tmp_path / "a.txt", arcname="a.txt")
    with pytest.raises(AssayError, match="holds 0 .pkl files"):
        load_suite(path)


# -- the released suites (read-only, in ../shared) -----------------------------------------------
needs_sentiment = pytest.mark.skipif(not SENTIMENT.exists(), reason="../shared/checklist is absent")
needs_qqp = pytest.mark.skipif(not QQP.exists(), reason="../shared/checklist is absent")


@pytest.fixture(scope="module")
def sentiment():
    return load_suite(SENTIMENT)


@needs_sentiment
def test_the_sentiment_suite_imports_as_data(sentiment):
    before = set(sys.modules)
    assert len(sentiment.tests) == 38
    kinds = [t.test_type for t in sentiment.tests]
    assert (kinds.count("MFT"), kinds.count("INV"), kinds.count("DIR")) == (20, 13, 5)
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("checklist", "dill")}
    words = sentiment["single positive words"]
    assert words.capability == "Vocabulary" and words.labels == [2] * 34 and len(words.run_idxs) == 34
    assert sentiment["Q & A: no"].expect.kind == "label_sets"
    assert all(t.expect.kind != "unknown" for t in sentiment.tests)


@needs_sentiment
def test_recognised_expectations_carry_their_closure_values(sentiment):
    inv = sentiment["typos"].expect
    assert (inv.kind, inv.params, inv.agg) == ("inv", {"tolerance": 0.1}, "all_except_first")
    slice_ = sentiment["intensifiers"].expect
    assert slice_.kind == "slice" and slice_.params["original"] == {"op": "!=", "label": 1}
    assert slice_.params["inner"].params == {"label": None, "increasing": True, "tolerance": 0.1}
    assert sentiment["simple negations: not negative"].expect.params == {"labels": [0]}


@needs_sentiment
def test_each_sentiment_test_becomes_a_declaration_on_checklists_sample(sentiment):
    for test in sentiment.tests:
        decl = test.declaration(label_names=SENTIMENT_LABELS)
        decl.validate(SENTIMENT_LABELS)
        assert decl.test_type == test.test_type
        assert len(decl.cases()) == len(test.run_idxs)
    typos = sentiment["typos"].declaration()
    assert all(len(c.inputs) >= 2 for c in typos.cases())  # [original, changed, ...]
    mft = sentiment["Q & A: no"].declaration(label_names=SENTIMENT_LABELS)
    assert {frozenset(c.expected) for c in mft.cases()} <= {frozenset({"negative"}), frozenset({"neutral", "positive"})}
    assert len(sentiment["typos"].declaration(n=20, seed=3).cases()) == 20
    assert len(sentiment["contractions"].declaration(n="all").cases()) == 1000


@needs_sentiment
def test_labels_without_names_are_a_one_line_error_naming_the_test(sentiment):
    with pytest.raises(DeclarationError, match="single positive words.*label_names"):
        sentiment["single positive words"].declaration()


@needs_sentiment
def test_an_expectation_that_cannot_be_read_names_the_test_and_the_fix(sentiment):
    from assay.checklist.recognise import ExpectSpec

    test = sentiment["typos"]
    saved = test.expect
    test.expect = ExpectSpec("unknown", {"function": "my_check"}, note="a function 'my_check' assay does not recognise")
    try:
        with pytest.raises(DeclarationError, match="test .typos.*my_check.*set expect"):
            test.declaration()
        assert test.declaration(expect="label_kept_or_close").expectation.name.startswith("label_kept_or_close")
    finally:
        test.expect = saved


@needs_qqp
def test_the_qqp_suite_imports_with_pairs():
    suite = load_suite(QQP)
    assert len(suite.tests) == 53
    assert all(t.expect.kind != "unknown" for t in suite.tests)
    names = ["not_duplicate", "duplicate"]
    reflexive = suite["Reflexivity: (q, q) should be duplicate"].declaration(label_names=names)
    first = reflexive.cases()[0].inputs[0]
    assert isinstance(first, tuple) and first[0] == first[1]
    triplets = suite["Testing implications"].declaration(label_names=names)
    assert all(len(c.inputs) == 3 for c in triplets.cases())
    assert triplets.expectation.name.startswith("transitive")
    sliced = suite["Change first name in one of the questions"].declaration()
    assert sliced.expectation.name.startswith("when_original(predicted_label(0")
    for test in suite.tests:
        test.declaration(label_names=names).validate(names)


def test_function_records_are_inert_data():
    rec = FunctionRecord("f", closure={"tolerance": 0.1})
    assert not callable(rec)
