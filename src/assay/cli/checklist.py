"""``assay checklist import SUITE -o suites/NAME/``: a CheckList suite as a runnable assay suite.

Reads the suite as data (nothing in the pickle runs), writes ``NAME.assay.yaml`` and its cases in
``NAME.cases.jsonl`` beside it; ``pytest suites/NAME --assay-model=X`` then runs it.
``assay checklist list SUITE`` prints each test: type, name, cases, the sample CheckList ran on and
the expectation assay recognised. Exit status: 0 done, 2 a suite or an output that cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO


def _labels(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of distinct label names")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["import", "list"], help="import: write an assay suite; list: show the tests")
    parser.add_argument("suite", metavar="SUITE", help="a CheckList suite: .pkl or the released .tar.gz")
    parser.add_argument("-o", "--output", metavar="DIR", help="folder for NAME.assay.yaml and NAME.cases.jsonl (import)")
    parser.add_argument("--name", default=None, help="file name stem (default: the suite's file name, e.g. sentiment_suite)")
    parser.add_argument("--labels", type=_labels, default=None, metavar="A,B,C",
                        help="the model's label names in CheckList's class order (e.g. negative,neutral,positive); "
                             "needed when the suite's MFTs carry labels")
    parser.add_argument("--test", action="append", default=None, metavar="NAME", help="import only this test (repeatable)")
    parser.add_argument("--all-cases", action="store_true",
                        help="write every case, not only the sample CheckList ran on (run_idxs)")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from assay.checklist import load_suite
    from assay.checklist.files import write_suite
    from assay.errors import DeclarationError

    out = out or sys.stdout
    suite = load_suite(args.suite)
    if args.action == "list":
        for t in suite.tests:
            sample = len(t.run_idxs) if t.run_idxs is not None else len(t.cases)
            print(f"{t.test_type}  {t.name!r}  [{t.capability}]  {len(t.cases)} cases, {sample} run  "
                  f"expect {t.expect.describe()}", file=out)
        return 0
    if not args.output:
        raise DeclarationError("import needs -o DIR, the folder to write the suite to")
    stem = args.name or Path(args.suite).name.split(".")[0]
    needs_labels = any(t.test_type == "MFT" and t.labels is not None for t in suite.select(args.test))
    if needs_labels and not args.labels:
        raise DeclarationError(f"{args.suite}: its MFTs carry CheckList class indices; give --labels A,B,... "
                               "(the model's label names in CheckList's order)")
    yaml_path, cases_path, todo = write_suite(suite, args.output, name=stem, label_names=args.labels,
                                              tests=args.test, every_case=args.all_cases)
    count = len(suite.select(args.test))
    print(f"wrote {yaml_path} ({count} tests) and {cases_path}; run: pytest {Path(args.output)} --assay-model=MODEL",
          file=out)
    for line in todo:
        print(f"needs expect: {line}", file=out)
    return 0
