"""Judging: per-case verdicts become a failure rate with a Wilson interval and a pass / fail call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .cases import Case, fingerprint
from .declarations import BehaviourTest
from .errors import AssayError, NoApplicableCase
from .expect import FAIL, NA, PASS, Verdict, judge_all
from .inputs import Input, render, to_json
from .probabilities import checked_probabilities
from .report.format import percent
from .stats import wilson_interval


@dataclass
class TestResult:
    """The outcome of one declaration on one model; :meth:`to_dict` is its JSON report entry."""

    __test__ = False  # named Test*, but not a test class: pytest must not try to collect it

    name: str
    test_type: str
    capability: str
    description: str
    model: str
    max_failure_rate: float
    seed: int
    cases: list[Case]
    verdicts: list[Verdict]
    probs: list[np.ndarray]
    labels: Sequence[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(v.outcome == FAIL for v in self.verdicts)

    @property
    def applicable(self) -> int:
        return sum(v.outcome != NA for v in self.verdicts)

    @property
    def not_applicable(self) -> int:
        return len(self.verdicts) - self.applicable

    @property
    def failure_rate(self) -> float:
        return self.failed / self.applicable if self.applicable else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.failed, self.applicable)

    @property
    def passed(self) -> bool:
        return self.applicable > 0 and within(self.failure_rate, self.max_failure_rate)

    @property
    def outcomes(self) -> str:
        return "".join({PASS: "P", FAIL: "F", NA: "N"}[v.outcome] for v in self.verdicts)

    def worst(self, k: int | None = None) -> list[int]:
        """Indices of failing cases, worst first."""
        failing = [i for i, v in enumerate(self.verdicts) if v.outcome == FAIL]
        failing.sort(key=lambda i: (-self.verdicts[i].severity, i))
        return failing if k is None else failing[:k]

    def by_perturbation(self) -> dict[str, dict[str, float]]:
        """Failure rate per perturbation name, over the (original, changed) pairs it made."""
        table: dict[str, list[int]] = {}
        for case, verdict in zip(self.cases, self.verdicts):
            if verdict.outcome == NA:
                continue
            for i in range(1, len(case.inputs)):
                name = case.perturbation_of(i) or "given"
                cell = table.setdefault(name, [0, 0])
                cell[1] += 1
                cell[0] += int(i in verdict.failing_inputs)
        return {
            name: {"failed": f, "cases": n, "failure_rate": f / n if n else 0.0} for name, (f, n) in sorted(table.items())
        }

    def headline(self) -> str:
        """``MFT Negation: 12.4% failed (62/500), allowed 5%``."""
        return (
            f"{self.test_type} {self.capability}: {percent(self.failure_rate, trim=True)} failed "
            f"({self.failed}/{self.applicable}), allowed {percent(self.max_failure_rate, trim=True)}"
        )

    def case_dict(self, index: int) -> dict[str, Any]:
        case, verdict, probs = self.cases[index], self.verdicts[index], self.probs[index]
        return {
            "index": index,
            "inputs": [to_json(x) for x in case.inputs],
            "perturbations": [case.perturbation_of(i) for i in range(len(case.inputs))],
            "expected": sorted(case.expected) if case.expected is not None else None,
            "predicted": [self.labels[int(np.argmax(row))] for row in probs],
            "probs": [[round(float(p), 6) for p in row] for row in probs],
            "failing_inputs": list(verdict.failing_inputs),
            "reason": verdict.reason,
        }

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "name": self.name,
            "type": self.test_type,
            "capability": self.capability,
            "description": self.description,
            "model": self.model,
            "labels": list(self.labels),
            "failure_rate": self.failure_rate,
            "failed": self.failed,
            "cases": self.applicable,
            "not_applicable": self.not_applicable,
            "total_cases": len(self.cases),
            "ci_low": low,
            "ci_high": high,
            "max_failure_rate": self.max_failure_rate,
            "seed": self.seed,
            "passed": self.passed,
            "fingerprint": fingerprint(self.cases),
            "outcomes": self.outcomes,
            "failing_cases": [self.case_dict(i) for i in self.worst()],
            "by_perturbation": self.by_perturbation(),
            "extra": self.extra,
        }


ProbsFor = Callable[[Input], np.ndarray]


def within(value: float, limit: float) -> bool:
    """``value <= limit`` for a rate or drop against its threshold, with room for the float error of
    a threshold such as 0.1 (a rate of exactly 10% passes a 10% threshold)."""
    return value <= limit + 1e-12


def evaluate(decl: BehaviourTest, model_name: str, labels: Sequence[str], probs_for: ProbsFor) -> TestResult:
    """Judge every case of ``decl`` with the probabilities ``probs_for`` returns for each input."""
    cases = decl.cases()
    expectation = decl.expectation
    all_probs: list[np.ndarray] = []
    k = len(labels)
    for case in cases:
        raw = np.stack([probs_for(x) for x in case.inputs]) if case.inputs else np.zeros((0, k))
        all_probs.append(checked_probabilities(raw, model=model_name, inputs=case.inputs, labels=labels))
    verdicts = judge_all(expectation, cases, all_probs, labels)  # per case, or the whole test at once
    for verdict in verdicts:
        if verdict.outcome not in (PASS, FAIL, NA):
            raise AssayError(f"expectation {expectation.name} returned {verdict.outcome!r}, not pass/fail/na")
    result = TestResult(
        name=decl.name or "?", test_type=decl.test_type, capability=decl.capability, description=decl.description,
        model=model_name, max_failure_rate=float(decl.max_failure_rate), seed=decl.seed, cases=cases,
        verdicts=verdicts, probs=all_probs, labels=list(labels),
    )
    if result.applicable == 0:
        raise NoApplicableCase(
            f"{decl.test_type} {decl.name}: none of its {len(cases)} cases is applicable "
            "(all filtered out), so it cannot pass; widen its data or fix its perturbation"
        )
    return result


def failure_message(result: TestResult, k: int = 5) -> str:
    """The headline, then the worst ``k`` failing examples."""
    lines = [result.headline()]
    worst = result.worst(k)
    if worst:
        lines.append(f"worst {len(worst)} of {result.failed} failing cases:")
    for i in worst:
        case, probs = result.cases[i], result.probs[i]
        verdict = result.verdicts[i]
        shown = [0] + [j for j in verdict.failing_inputs if j != 0] if len(case.inputs) > 1 else [0]
        for j in shown:
            row = probs[j]
            pred = result.labels[int(np.argmax(row))]
            dist = " ".join(f"{lab}={row[n]:.2f}" for n, lab in enumerate(result.labels))
            tag = "  " if j == 0 else "->"
            via = f" [{case.perturbation_of(j)}]" if j and case.perturbation_of(j) else ""
            exp = f" expected {'/'.join(sorted(case.expected))}," if case.expected and j == 0 else ""
            lines.append(f"  {tag} {_clip(render(case.inputs[j]))!r}{via}:{exp} predicted {pred} ({dist})")
    by_pert = result.by_perturbation()
    if len(by_pert) > 1:
        lines.append("by perturbation: " + ", ".join(
            f"{name}: {percent(v['failure_rate'], trim=True)} of {v['cases']} flipped" for name, v in by_pert.items()))
    return "\n".join(lines)


def _clip(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
