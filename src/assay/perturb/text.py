"""Surface edits that should not change a prediction: punctuation, contractions, case, URLs and handles."""

from __future__ import annotations

import random
import re
import string
from functools import partial

from .base import Perturbation, deterministic, perturbation

_TRAILING = re.compile(r"[\s.!?…,;:]+$")
_END_MARKS = ".!?"


# -- punctuation -----------------------------------------------------------------------------
def _add_punctuation(text: str, rng: random.Random, *, marks: tuple[str, ...]) -> list[str]:
    body = text.rstrip()
    if not body or body[-1] in _END_MARKS + "…" or not body[-1].isalnum():
        return []
    return [body + rng.choice(marks) + text[len(body):]]


def add_punctuation(*, marks: tuple[str, ...] = (".",), seed: int = 0) -> Perturbation:
    """End a text that has no closing punctuation with one of ``marks`` ("great flight" -> "great flight.")."""
    if not marks:
        raise ValueError("add_punctuation(): marks must not be empty")
    return perturbation("add_punctuation", partial(_add_punctuation, marks=tuple(marks)), seed, marks=tuple(marks))


# A punctuation character between two word characters ("don't", "check-in", "3.5") belongs to a word.
_INNER = re.compile(r"(?<=\w)[" + re.escape(string.punctuation) + r"’](?=\w)")
_PROTECTED = re.compile(r"(https?://\S+|www\.\S+|[@#]\w+)")
_ANY_PUNCT = re.compile(r"[" + re.escape(string.punctuation) + r"…’“”]")


def _strip_punctuation(text: str, *, everywhere: bool) -> list[str]:
    if not everywhere:
        match = _TRAILING.search(text)
        if not match or not match.group().strip():
            return []
        return [text[: match.start()]]
    pieces = []
    for piece in _PROTECTED.split(text):
        if _PROTECTED.fullmatch(piece):
            pieces.append(piece)
            continue
        kept = {m.start() for m in _INNER.finditer(piece)}
        pieces.append("".join(c for i, c in enumerate(piece) if i in kept or not _ANY_PUNCT.fullmatch(c)))
    out = re.sub(r"[ \t]{2,}", " ", "".join(pieces)).strip()
    return [out] if out else []


def strip_punctuation(*, everywhere: bool = False, seed: int = 0) -> Perturbation:
    """Drop the closing punctuation ("Great flight!!" -> "Great flight"); ``everywhere=True`` drops all
    punctuation that is not inside a word (apostrophes and hyphens in words stay)."""
    return deterministic("strip_punctuation", partial(_strip_punctuation, everywhere=everywhere), seed,
                         everywhere=everywhere)


# -- contractions ----------------------------------------------------------------------------
_CONTRACT = {
    "is not": "isn't", "are not": "aren't", "was not": "wasn't", "were not": "weren't",
    "do not": "don't", "does not": "doesn't", "did not": "didn't", "have not": "haven't",
    "has not": "hasn't", "had not": "hadn't", "will not": "won't", "would not": "wouldn't",
    "should not": "shouldn't", "could not": "couldn't", "cannot": "can't", "can not": "can't",
    "must not": "mustn't", "need not": "needn't",
    "i am": "I'm", "you are": "you're", "we are": "we're", "they are": "they're", "it is": "it's",
    "that is": "that's", "there is": "there's", "he is": "he's", "she is": "she's", "what is": "what's",
    "who is": "who's", "here is": "here's", "i have": "I've", "you have": "you've", "we have": "we've",
    "they have": "they've", "i will": "I'll", "you will": "you'll", "we will": "we'll",
    "they will": "they'll", "it will": "it'll", "he will": "he'll", "she will": "she'll",
    "i would": "I'd", "you would": "you'd", "we would": "we'd", "they would": "they'd", "let us": "let's",
}
# Expansions: "'s" and "'d" are ambiguous, so they are expanded only by the rules in _expand_one.
_EXPAND = {
    "isn't": "is not", "aren't": "are not", "wasn't": "was not", "weren't": "were not", "don't": "do not",
    "doesn't": "does not", "didn't": "did not", "haven't": "have not", "hasn't": "has not",
    "hadn't": "had not", "won't": "will not", "wouldn't": "would not", "shouldn't": "should not",
    "couldn't": "could not", "can't": "cannot", "mustn't": "must not", "needn't": "need not",
    "i'm": "I am", "you're": "you are", "we're": "we are", "they're": "they are", "i've": "I have",
    "you've": "you have", "we've": "we have", "they've": "they have", "i'll": "I will", "you'll": "you will",
    "we'll": "we will", "they'll": "they will", "it'll": "it will", "he'll": "he will", "she'll": "she will",
    "let's": "let us", "it's": "it is", "that's": "that is", "there's": "there is", "he's": "he is",
    "she's": "she is", "what's": "what is", "who's": "who is", "here's": "here is",
}
_SUBJECTS = {"i", "you", "we", "they", "he", "she", "it", "there", "that", "this", "anyone", "everyone"}
_HAS_NEXT = {"been", "got", "gotten", "had", "done", "made", "become", "gone", "taken"}


def _match_case(source: str, target: str) -> str:
    if source.isupper() and len(source) > 1:
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    if target.startswith("I ") or target.startswith("I'"):
        return target
    return target[:1].lower() + target[1:]


_CONTRACT_RE = re.compile(
    r"\b(" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_CONTRACT, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def _contract(text: str) -> list[str]:
    def repl(m: re.Match) -> str:
        key = re.sub(r"\s+", " ", m.group(1).lower())
        if not key.endswith("not") and key != "let us":
            # "I know what it is." cannot become "what it's.": a word must follow, and "'ve" only
            # contracts an auxiliary ("I have been" -> "I've been", not "I have a bag" -> "I've a bag").
            following = text[m.end():].split(None, 1)
            nxt = following[0].lower() if following else ""
            if not re.match(r"[a-z]", nxt) or not text[m.end():m.end() + 1].isspace():
                return m.group(0)
            if key.endswith(" have") and not (nxt.strip(string.punctuation) in _HAS_NEXT or nxt.endswith("ed")):
                return m.group(0)
        return _match_case(m.group(1), _CONTRACT[key])

    out = _CONTRACT_RE.sub(repl, text)
    return [out] if out != text else []


_WORD_APOS = re.compile(r"\b([A-Za-z]+)(['’])([A-Za-z]+)\b")


def _expand(text: str) -> list[str]:
    def repl(m: re.Match) -> str:
        word = m.group(0)
        key = (m.group(1) + "'" + m.group(3)).lower()
        following = text[m.end():].split(None, 1)
        nxt = following[0].strip(string.punctuation).lower() if following else ""
        if key.endswith("n't") and nxt in _SUBJECTS:
            return word  # "don't you think" / "isn't it": a question tag keeps its contraction
        if key in ("it's", "that's", "there's", "he's", "she's", "what's", "who's") and nxt in _HAS_NEXT:
            expansion = m.group(1) + " has"
        elif key in _EXPAND:
            expansion = _EXPAND[key]
        else:
            return word
        return _match_case(word, expansion)

    out = _WORD_APOS.sub(repl, text)
    return [out] if out != text else []


def contractions(*, seed: int = 0) -> Perturbation:
    """Contract every contractable pair ("is not" -> "isn't", "I am" -> "I'm")."""
    return deterministic("contractions", _contract, seed)


def expand_contractions(*, seed: int = 0) -> Perturbation:
    """Expand every contraction ("isn't" -> "is not", "it's been" -> "it has been"); "'d" is left alone."""
    return deterministic("expand_contractions", _expand, seed)


# -- case ------------------------------------------------------------------------------------
def _title(text: str) -> str:
    return re.sub(r"(?<![\w'’])([^\W\d_])", lambda m: m.group(1).upper(), text)


def lowercase(*, seed: int = 0) -> Perturbation:
    """The whole text in lower case."""
    return deterministic("lowercase", lambda t: [t.lower()], seed)


def uppercase(*, seed: int = 0) -> Perturbation:
    """The whole text in upper case."""
    return deterministic("uppercase", lambda t: [t.upper()], seed)


def titlecase(*, seed: int = 0) -> Perturbation:
    """The first letter of every word in upper case ("don't" keeps its lower-case t)."""
    return deterministic("titlecase", lambda t: [_title(t)], seed)


# -- URLs and handles ------------------------------------------------------------------------
_ALNUM = string.ascii_letters + string.digits
_HANDLE_WORDS = ("travel", "fly", "jet", "sky", "news", "daily", "real", "the", "just", "its", "mr", "ms")
_HANDLE_NAMES = ("anna", "ben", "chris", "dana", "eli", "fran", "gus", "hana", "ivan", "jo", "kai", "lena")
_DOMAINS = ("t.co", "bit.ly", "example.com", "goo.gl", "tinyurl.com")


def _place(text: str, piece: str, where: str, rng: random.Random) -> str:
    side = rng.choice(("start", "end")) if where == "either" else where
    if side == "start":
        return f"{piece} {text}"
    return f"{text.rstrip()} {piece}{text[len(text.rstrip()):]}"


def _random_url(rng: random.Random) -> str:
    domain = rng.choice(_DOMAINS)
    slug = "".join(rng.choice(_ALNUM) for _ in range(rng.randint(6, 10)))
    return f"https://{domain}/{slug}"


def _random_handle(rng: random.Random) -> str:
    name = rng.choice(_HANDLE_WORDS) + rng.choice(_HANDLE_NAMES)
    if rng.random() < 0.6:
        name += str(rng.randint(1, 999))
    return "@" + name


def _add_piece(text: str, rng: random.Random, *, make, where: str, samples: int) -> list[str]:
    if not text.strip():
        return []
    return [_place(text, make(rng), where, rng) for _ in range(samples)]


def _check_where(where: str) -> None:
    if where not in ("start", "end", "either"):
        raise ValueError(f"where must be 'start', 'end' or 'either', got {where!r}")


def add_url(*, where: str = "end", samples: int = 1, seed: int = 0) -> Perturbation:
    """Add a random short URL ("https://t.co/x7Ab2k") at the start, end or either."""
    _check_where(where)
    return perturbation("add_url", partial(_add_piece, make=_random_url, where=where, samples=samples), seed,
                        where=where, samples=samples)


def add_handle(*, where: str = "start", samples: int = 1, seed: int = 0) -> Perturbation:
    """Add a random @handle at the start, end or either."""
    _check_where(where)
    return perturbation("add_handle", partial(_add_piece, make=_random_handle, where=where, samples=samples), seed,
                        where=where, samples=samples)
