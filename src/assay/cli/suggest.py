"""``assay suggest "This is a {mask} flight." --mlm MODEL``: a masked LM's ranked fill-ins.

For a test author building a lexicon (CheckList's ``editor.suggest``): prints rank, fill-in, mean
log-probability and one filled-in example; ``--words`` prints the fill-ins alone, one per line.
Other slots of the template take ``--slot NAME=w1,w2`` or a built-in lexicon of that name.
Exit status: 0 on success, 2 when the template or the model cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from assay import _validate as valid
from assay.options import EngineOptions, add_engine_options


def _slot(text: str) -> tuple[str, list[str]]:
    name, sep, words = text.partition("=")
    values = [w.strip() for w in words.split(",") if w.strip()]
    if not sep or not name.strip() or not values:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=word1,word2")
    return name.strip(), values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", nargs="+", metavar="TEMPLATE",
                        help="text with {mask} where the model should suggest words (two TEMPLATEs: a pair)")
    parser.add_argument("--mlm", required=True, metavar="MODEL",
                        help="fill-mask model: local folder or Hugging Face hub id (e.g. distilroberta-base)")
    parser.add_argument("--top", type=valid.POSITIVE_INT, default=20, metavar="N", help="fill-ins to print (default 20)")
    parser.add_argument("--slot", type=_slot, action="append", default=[], metavar="NAME=W1,W2",
                        help="words for another {NAME} slot of the template (repeatable)")
    parser.add_argument("--contexts", type=valid.POSITIVE_INT, default=10, metavar="N",
                        help="combinations of the other slots to rank over (default 10)")
    parser.add_argument("--seed", type=valid.SEED, default=0, help="seed of the sample of combinations (default 0)")
    parser.add_argument("--words", action="store_true", help="print only the fill-ins, one per line")
    add_engine_options(parser.add_argument)
    parser.add_argument("--cache-dir", type=valid.folder, default=None, metavar="DIR",
                        help="cache folder (default $ASSAY_CACHE_DIR or ~/.cache/assay)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the persistent cache")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from assay.errors import DeclarationError
    from assay.mlm import load_mlm, suggest

    out = out or sys.stdout
    if len(args.template) > 2:
        raise DeclarationError(f"give one TEMPLATE, or two for a pair; got {len(args.template)}")
    pattern = args.template[0] if len(args.template) == 1 else (args.template[0], args.template[1])
    engine = EngineOptions.from_namespace(args, "", model="--mlm")
    mlm = load_mlm(args.mlm, cache_dir=False if args.no_cache else args.cache_dir, **engine.load_kwargs())
    found = suggest(pattern, mlm, top=args.top, contexts=args.contexts, seed=args.seed, **dict(args.slot))
    if args.words:
        for s in found:
            print(s.text, file=out)
        return 0
    print(f"{len(found)} fill-ins for {pattern!r} from {mlm.name} (mask token {mlm.mask_token}), "
          f"by mean log-probability:", file=out)
    width = max([len(s.text) for s in found] + [7])
    for rank, s in enumerate(found, start=1):
        example = " | ".join(s.example) if isinstance(s.example, tuple) else s.example
        print(f"{rank:>4}  {s.text:<{width}}  {s.score:>8.3f}  {example}", file=out)
    return 0
