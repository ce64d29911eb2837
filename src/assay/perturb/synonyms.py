"""Synonym substitution through WordNet (nltk).

WordNet comes from nltk's data folder (``python -m nltk.downloader wordnet``). Where that is absent
but the system has WordNet 3.0 database files (Debian/Ubuntu: ``apt-get install wordnet-base``,
folder /usr/share/wordnet; or the folder named by ``ASSAY_WORDNET_DIR``), nltk's reader is pointed at
those files instead.
"""

from __future__ import annotations

import functools
import io
import os
import random
import re
import warnings
from functools import partial
from pathlib import Path

from ..errors import DataError
from .base import Perturbation, perturbation

INSTALL_HINT = "pip install nltk && python -m nltk.downloader wordnet"
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_POS_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
_STOPWORDS = frozenset("""a an the and or but if of to in on at by for with from as is are was were be been am
do does did have has had not no so very too this that these those it its i you he she we they me him her us
them my your our their what which who whom when where why how all any some more most other such only own
same than then just can will would should could may might must get got one also back out up down off over
""".split())


def _system_reader(folder: Path):
    from nltk.corpus.reader.wordnet import WordNetCorpusReader
    import nltk

    class SystemWordNet(WordNetCorpusReader):
        """WordNet 3.0 database files without nltk's packaging (no ``lexnames`` file)."""

        def open(self, fileid):
            if fileid == "lexnames":
                lines = (f"{i:02d}\t{name}\t{_POS_NUMBER[name.split('.')[0]]}\n" for i, name in enumerate(_LEXNAMES))
                return io.StringIO("".join(lines))
            return super().open(fileid)

        def map_wn(self, version="wordnet"):
            return None

    if str(folder) not in nltk.data.path:
        nltk.data.path.append(str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SystemWordNet(str(folder), None)


@functools.lru_cache(maxsize=1)
def wordnet():
    """nltk's WordNet reader; DataError with the install command when it is not available."""
    try:
        import nltk  # noqa: F401
    except ImportError:
        raise DataError(f"the synonyms perturbation needs nltk and its WordNet corpus: {INSTALL_HINT}") from None
    from nltk.corpus import wordnet as wn

    try:
        wn.ensure_loaded()
        return wn
    except LookupError:
        pass
    candidates = [os.environ.get("ASSAY_WORDNET_DIR", ""), "/usr/share/wordnet"]
    for folder in (Path(c) for c in candidates if c):
        if (folder / "data.adj").is_file() and (folder / "index.adj").is_file():
            try:
                return _system_reader(folder)
            except Exception:  # a damaged folder: fall through to the install hint
                continue
    raise DataError(f"the synonyms perturbation needs nltk's WordNet corpus, which is not installed: {INSTALL_HINT}")


def available() -> bool:
    try:
        wordnet()
        return True
    except DataError:
        return False


_WORD = re.compile(r"(?<![\w@#'’-])[A-Za-z]{3,}(?![\w'’-])")
_WN_POS = {"adj": ("a", "s"), "adv": ("r",), "noun": ("n",), "verb": ("v",)}


@functools.lru_cache(maxsize=4096)
def _synonyms_of(word: str, pos: tuple[str, ...]) -> tuple[str, ...]:
    """Single-word lemmas of the word's most common sense among ``pos``, when at least half of the
    word's senses have one of ``pos`` (so "service" is never read as a verb)."""
    wn = wordnet()
    senses = wn.synsets(word)
    allowed = [s for s in senses if s.pos() in pos]
    if not allowed or 2 * len(allowed) < len(senses):
        return ()
    names = []
    for lemma in allowed[0].lemmas():
        name = lemma.name()
        if "_" in name or "-" in name or name.lower() == word or not name.isalpha():
            continue
        if name.lower() not in names:
            names.append(name.lower())
    return tuple(names)


def _match_case(source: str, word: str) -> str:
    if source.isupper() and len(source) > 1:
        return word.upper()
    if source[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _apply(text: str, rng: random.Random, *, n: int, pos: tuple[str, ...]) -> list[str]:
    options = []
    for m in _WORD.finditer(text):
        word = m.group().lower()
        if word in _STOPWORDS:
            continue
        for synonym in _synonyms_of(word, pos):
            options.append((m.start(), m.end(), _match_case(m.group(), synonym)))
    chosen = rng.sample(options, min(n, len(options)))
    return [text[:start] + new + text[end:] for start, end, new in chosen]


def synonyms(n: int = 3, *, pos: tuple[str, ...] = ("adj", "adv"), seed: int = 0) -> Perturbation:
    """Replace one word with a WordNet synonym of its most common sense, ``n`` variants.

    ``pos`` limits the words replaced to those whose most common sense is an adjective / adverb
    (default; noun and verb senses depend more on context). Needs nltk's WordNet corpus.
    """
    bad = [p for p in pos if p not in _WN_POS]
    if bad:
        raise ValueError(f"synonyms(): pos must be among {', '.join(_WN_POS)}, got {bad}")
    wordnet()
    wn_pos = tuple(tag for p in pos for tag in _WN_POS[p])
    return perturbation("synonyms", partial(_apply, n=n, pos=wn_pos), seed, n=n, pos=tuple(pos))
