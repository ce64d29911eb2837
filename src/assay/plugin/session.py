"""The state of one pytest session: models, shared predictions, and running each item.

The plugin's hooks (:mod:`assay.plugin`) stay a few lines each and hand over to this object, which is
kept in ``config.stash`` rather than in module globals (see :mod:`assay.plugin.state`).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from assay.declarations import INV
from assay.errors import AssayError, AssayFailure, ReportValueError
from assay.judge import TestResult, evaluate, failure_message
from assay.plugin.items import AssayItem, BehaviourItem
from assay.plugin.models import ModelRegistry
from assay.plugin.options import AssayOptions
from assay.plugin.predictions import PredictionStore, same_model
from assay.report.record import finite_copy, non_finite

JUNIT_PROPERTIES = ("test_type", "capability", "failure_rate", "failed", "cases", "ci_low", "ci_high",
                    "max_failure_rate", "seed", "model")


class AssaySession:
    def __init__(self, config: pytest.Config, options: AssayOptions):
        self.config = config
        self.options = options
        self.specs = list(options.models)
        self.registry = ModelRegistry(options)
        self.seed = options.seed
        self.mlm = options.mlm  # for {mask} templates and masked-LM perturbations
        self.mlm_options = options.mlm_options
        self.examples = options.examples
        self.explain = options.explain
        self.stores: dict[str, PredictionStore] = {}
        self.unshared: set[str] = set()  # model names whose assay_model fixture gave a new object per test
        self.is_worker = hasattr(config, "workerinput")
        self.baseline = None
        self.head_cache: dict[Any, Any] = {}
        if options.cache_clear and not self.is_worker:
            from assay.engine.cache import PredictionCache

            PredictionCache(options.cache_dir).clear()
        if options.baseline:
            from assay.baseline import load_baseline
            from assay.report.load import require_complete

            try:
                self.baseline = load_baseline(options.baseline)
                if not options.allow_incomplete:
                    require_complete(self.baseline.report, options.baseline, "--assay-allow-incomplete")
            except AssayError as exc:
                raise pytest.UsageError(str(exc)) from None

    # -- running ---------------------------------------------------------------------------
    def model_for(self, item: AssayItem) -> Any:
        return item._request.getfixturevalue("assay_model")

    def store_for(self, item: AssayItem, model: Any) -> PredictionStore:
        """The prediction store of ``item``'s model; created (and filled for every selected item
        of that model in one de-duplicated batch) on first use.

        An ``assay_model`` override with function scope hands each test a new object. One that answers
        as the first (:func:`~assay.plugin.predictions.same_model`) reuses its store; any other gets a
        store of its own inputs only (never the whole suite again), with one warning per model name."""
        name = item.model_name
        store = self.stores.get(name)
        if store is not None and same_model(store.model, model):
            return store
        fresh = store is not None
        store = PredictionStore(model, name)
        self.stores[name] = store
        if fresh:
            if name not in self.unshared:
                self.unshared.add(name)
                warnings.warn(pytest.PytestWarning(
                    f"assay: the assay_model fixture returned a new {type(model).__name__} object for {item.name}, "
                    f"so model {name!r} is predicted test by test instead of once for the suite; "
                    "give the fixture scope='session' (or make the objects compare equal with __eq__)"), stacklevel=2)
        elif not self.is_worker:  # under xdist each worker predicts what its own items need
            store.ensure(self._all_inputs(item))
        return store

    def _all_inputs(self, first: AssayItem) -> list:
        inputs: list = []
        for other in first.session.items:
            if isinstance(other, BehaviourItem) and other.model_name == first.model_name:
                try:
                    inputs.extend(other.decl.inputs())
                except AssayError:
                    continue  # that item reports its own error when it runs
        return inputs

    def evaluate_behaviour(self, item: BehaviourItem, model: Any) -> tuple[TestResult, int | None]:
        """An MFT / INV / DIR item's verdicts from the model's shared predictions, and how many of its
        inputs were cut to the model's token limit."""
        decl = item.decl
        store = self.store_for(item, model)
        store.ensure(decl.inputs())
        result = evaluate(decl, item.model_name, store.labels, store)
        truncated = store.truncated_among(decl.inputs())
        if isinstance(decl, INV) and decl.search:
            from assay.search import search_counterexamples

            result.extra["search"] = search_counterexamples(decl, store, store.labels)
        return result, truncated

    def keep_result(self, item: AssayItem, result: TestResult, model: Any, truncated: int | None) -> None:
        """The end of an item's setup: its record (figures, baseline comparison, JUnit properties).
        Anything raised while evaluating is pytest's ERROR: the item could not be judged."""
        record = self._record(item, result, model)
        record["truncated"] = truncated
        comparison = record.get("baseline")
        if comparison and comparison.get("status") == "regressed":
            record.update(outcome="failed", passed=False)
        item.assay_result = record
        item.assay_evaluation = result
        for key in JUNIT_PROPERTIES:
            item.user_properties.append((key, record["type"] if key == "test_type" else record[key]))
        for key, value in record.get("junit_extra", {}).items():
            item.user_properties.append((key, value))

    def judge_item(self, item: AssayItem, model: Any) -> None:
        """The item's call: raise :class:`AssayFailure` (pytest's FAILED) when the evaluated item
        failed its threshold or regressed against the baseline."""
        record, result = item.assay_result, item.assay_evaluation
        if record is None or result is None or record["outcome"] != "failed":
            return
        message = failure_message(result, self.examples)
        if result.extra.get("search"):
            from assay.search import format_counterexamples

            message += "\n" + format_counterexamples(result.extra["search"])
        if not result.passed and self.explain and item.decl.test_type != "HEADS":
            try:
                message += self._explain(result, model, record)
            except AssayError as exc:  # the verdict stands; only its explanation is missing
                message += f"\n(no explanations: {exc})"
        comparison = record.get("baseline")
        if comparison and comparison.get("status") == "regressed":
            message = f"regressed against the baseline: {comparison.get('reason', '')}\n" + message
        raise AssayFailure(message)

    def _record(self, item: AssayItem, result: TestResult, model: Any) -> dict[str, Any]:
        record = result.to_dict()
        record.update(nodeid=item.nodeid, name=item.test_name, part=item.part, error=None,
                      outcome="passed" if result.passed else "failed",
                      model_info=model_info(item.model_name, model, self.registry))
        if record["type"] == "HEADS":
            extra = record["extra"]
            record["junit_extra"] = {k: extra[k] for k in ("layer", "head", "agreement", "accuracy_drop") if k in extra}
        if self.baseline is not None:
            from assay.baseline import compare_test

            previous = self.baseline.lookup(record["name"], record["model"], run_models=[s.name for s in self.specs],
                                            nodeid=record["nodeid"])
            record["baseline"] = compare_test(record, previous, max_regression=self.options.max_regression,
                                              alpha=self.options.alpha).to_dict()
        problems: list[str] = []
        finite_copy({k: v for k, v in record.items() if k != "model_info"}, "", problems)
        if problems:
            raise ReportValueError(f"{item.test_name}: {non_finite(problems)}, so it cannot be judged; "
                                   f"check model {item.model_name!r} for NaN outputs")
        return record

    def _explain(self, result: TestResult, model: Any, record: dict[str, Any]) -> str:
        hf_model, tokenizer = getattr(model, "model", None), getattr(model, "tokenizer", None)
        if hf_model is None or tokenizer is None:
            return "\n(explanations need a Hugging Face model: this one has no .model / .tokenizer)"
        from assay.explain import explain_cases, format_top_tokens

        worst = result.worst(self.explain)
        inputs, targets = [], []
        for i in worst:
            case, verdict = result.cases[i], result.verdicts[i]
            j = next((j for j in verdict.failing_inputs), 0)
            inputs.append(case.inputs[j])
            targets.append(int(result.probs[i][j].argmax()))
        explanations = explain_cases(hf_model, tokenizer, inputs, targets, seed=result.seed)
        lines = ["explanations (top tokens of the predicted label):"]
        by_index = {c["index"]: c for c in record["failing_cases"]}
        for i, inp, expl in zip(worst, inputs, explanations):
            by_index[i]["explanations"] = expl
            lines.append(f"  {inp!r}")
            lines.extend("    " + line for line in format_top_tokens(expl).splitlines())
        return "\n" + "\n".join(lines)


def identity(item: AssayItem) -> dict[str, Any]:
    decl = item.decl
    return {"nodeid": item.nodeid, "name": item.test_name, "type": decl.test_type, "capability": decl.capability,
            "description": decl.description, "model": item.model_name, "max_failure_rate": decl.max_failure_rate,
            "seed": decl.seed, "part": item.part}


def model_info(name: str, model: Any, registry: ModelRegistry) -> dict[str, Any]:
    describe = getattr(model, "describe", None)
    if callable(describe):  # the Hugging Face adapter: device, dtype, notes and engine stats too
        return dict(describe(), name=name)
    spec = registry.specs.get(name)
    return {
        "name": name,
        "source": getattr(model, "source", spec.source if spec else None),
        "fingerprint": getattr(model, "fingerprint", None),
        "labels": list(model.labels),
        "stats": dict(getattr(model, "stats", {}) or {}),
    }
