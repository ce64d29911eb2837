"""The ``assay`` command: tools that work outside a pytest run.

    assay heads MODEL --data FILE        head importance, pruning curve, heatmap (and --functions)
    assay probe MODEL --data FILE --property NAME
    assay compare OLD.json NEW.json      exit 1 on a significant regression
"""

from __future__ import annotations

import argparse
import importlib
import sys

from assay.errors import AssayError

# name -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS = {
    "heads": ("assay.cli.heads", "head importance (Michel et al.), pruning curve and heatmap for a model"),
    "probe": ("assay.cli.probe", "train a linear probe per layer: where a property becomes available"),
    "compare": ("assay.cli.compare", "compare two JSON reports; exit 1 on a significant regression"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description="assay: behavioral testing of text classifiers. "
                                     "Tests run with pytest; these commands help outside a test run.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=module)
        # Arguments are added lazily in main(): building them imports the command's module.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # exits with argparse's message for an unknown command
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    command = argparse.ArgumentParser(prog=f"assay {argv[0]}", description=COMMANDS[argv[0]][1])
    module.add_arguments(command)
    args = command.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except AssayError as exc:
        print(f"assay {argv[0]}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
