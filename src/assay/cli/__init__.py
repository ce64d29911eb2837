"""The ``assay`` command (also ``python -m assay.cli``): tools that work outside a pytest run.

    assay heads MODEL --data FILE        head importance, pruning curve, heatmap (and --functions)
    assay probe MODEL --data FILE --property NAME
    assay compare OLD.json NEW.json      exit 1 on a significant regression
    assay suggest "A {mask} flight." --mlm MODEL    a masked LM's ranked fill-ins (for lexicons)
    assay checklist import SUITE -o suites/NAME/      a CheckList suite as a runnable assay suite

One entry, one error policy. Exit status: 0 done, 1 the model or candidate failed (a regression),
2 unusable input: a bad argument (argparse's own usage error), or a file, model or report that cannot
be used, reported on one line ``assay COMMAND: error: ...`` without a traceback.

A command is one entry in :data:`COMMANDS` and one module with ``add_arguments(parser)`` and
``run(args, out) -> int``; it raises :class:`assay.errors.AssayError` for input it cannot use.
Option definitions shared with the pytest plugin come from :mod:`assay.options`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TextIO

from assay.errors import AssayError

OK, FAILED, UNUSABLE = 0, 1, 2

# name -> (module with add_arguments(parser) and run(args, out) -> int, one-line help)
COMMANDS = {
    "heads": ("assay.cli.heads", "head importance (Michel et al.), pruning curve and heatmap for a model"),
    "probe": ("assay.cli.probe", "train a linear probe per layer: where a property becomes available"),
    "compare": ("assay.cli.compare", "compare two JSON reports; exit 1 on a significant regression"),
    "suggest": ("assay.cli.suggest", "a masked language model's ranked fill-ins for {mask} in a template"),
    "checklist": ("assay.cli.checklist", "import a CheckList suite (.pkl / .tar.gz) as an assay suite, or list its tests"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: lists the commands (their own arguments are added only when one runs,
    since building them imports the command's module)."""
    parser = argparse.ArgumentParser(
        prog="assay", description="assay: behavioral testing of text classifiers. "
        "Tests run with pytest; these commands help outside a test run.",
        epilog="exit status: 0 done, 1 a regression or failure, 2 unusable input")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of ``assay NAME`` with the command's own arguments."""
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"assay {name}", description=COMMANDS[name][1],
                                     epilog="exit status: 0 done, 1 a regression or failure, 2 unusable input")
    module.add_arguments(parser)
    return parser


def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns its exit status (argparse exits with 2 itself on a usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = out or sys.stdout, err or sys.stderr
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv)  # --help, or argparse's message for an unknown command
        build_parser().print_help(err)
        return UNUSABLE
    name = argv[0]
    args = command_parser(name).parse_args(argv[1:])
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.run(args, out))
    except AssayError as exc:
        return _fail(name, str(exc), err)
    except OSError as exc:  # an output that cannot be written, an input that cannot be read
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(name, f"cannot use{where} ({exc.strerror or exc}); check the path and its permissions", err)


def _fail(name: str, message: str, err: TextIO) -> int:
    print(f"assay {name}: error: {message}", file=err)
    return UNUSABLE
