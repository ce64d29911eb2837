"""Phrase insertions for directional tests: intensifiers, reducers, irrelevant negations and
appended sentiment phrases."""

from __future__ import annotations

import random
import re
from functools import partial

from .. import lexicon
from .base import Perturbation, perturbation

SENTIMENT_ADJECTIVES = frozenset(lexicon.positive_adjectives + lexicon.negative_adjectives + (
    "bad", "happy", "unhappy", "sad", "angry", "helpful", "unhelpful", "friendly", "unfriendly", "polite",
    "impolite", "comfortable", "uncomfortable", "clean", "dirty", "fast", "slow", "late", "efficient",
    "professional", "unprofessional", "satisfied", "disappointed", "pleased", "upset", "impressed",
    "easy", "difficult", "smooth", "bumpy", "cramped", "spacious", "tasty", "bland", "useless", "useful",
    "reliable", "unreliable", "expensive", "cheap", "kind", "nasty", "worse", "ridiculous", "fun",
))
INTENSIFIERS = lexicon.intensifiers
REDUCERS = lexicon.reducers
_MODIFIERS = frozenset(w for w in INTENSIFIERS + REDUCERS if " " not in w) | {"little", 
    "so", "too", "quite", "pretty", "rather", "super", "not", "never", "more", "most", "less", "least",
    "bit", "of", "n't", "very", "really",
}
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _insert_modifier(text: str, rng: random.Random, *, words: tuple[str, ...], samples: int) -> list[str]:
    tokens = list(_WORD.finditer(text))
    for k, m in enumerate(tokens):
        if m.group().lower() not in SENTIMENT_ADJECTIVES:
            continue
        prev = tokens[k - 1].group().lower() if k else ""
        if prev in _MODIFIERS or prev.endswith("n't") or m.group().isupper() and len(m.group()) > 1:
            continue  # already modified or negated ("not good", "very good"): leave it alone
        has_article = prev in ("a", "an") and text[tokens[k - 1].end():m.start()].strip() == ""
        outputs = []
        for word in rng.sample(words, min(samples, len(words))):
            if has_article and " " in word:
                continue  # "a a little good flight"
            new = text[: m.start()] + word + " " + text[m.start():]
            if has_article:
                art = tokens[k - 1]
                fixed = _article(word)
                fixed = fixed.capitalize() if art.group()[0].isupper() else fixed
                new = new[: art.start()] + fixed + new[art.end():]
            outputs.append(new)
        return outputs
    return []


def add_intensifier(*, words: tuple[str, ...] = INTENSIFIERS, samples: int = 1, seed: int = 0) -> Perturbation:
    """Put an intensifier before the first sentiment adjective ("was good" -> "was very good")."""
    return perturbation("add_intensifier", partial(_insert_modifier, words=tuple(words), samples=samples), seed,
                        words=tuple(words), samples=samples)


def add_reducer(*, words: tuple[str, ...] = REDUCERS, samples: int = 1, seed: int = 0) -> Perturbation:
    """Put a reducer before the first sentiment adjective ("was good" -> "was somewhat good")."""
    return perturbation("add_reducer", partial(_insert_modifier, words=tuple(words), samples=samples), seed,
                        words=tuple(words), samples=samples)


IRRELEVANT_PREFIXES = (
    "I did not check the weather, but", "I don't usually write reviews, but", "I never travel on Mondays, but",
    "I'm not a frequent flyer, but", "I did not expect to post this, but",
)
IRRELEVANT_SUFFIXES = (
    "Not that it matters.", "I did not check the weather.", "I don't know why I mention it.",
    "Nothing else to add.", "I never sit by the window.",
)
POSITIVE_PHRASES = (
    "Thank you.", "I love this airline.", "You are the best.", "Great job.", "Much appreciated.",
    "Keep up the good work.", "What a pleasure.", "I will fly with you again.",
)
NEGATIVE_PHRASES = (
    "I hate waiting.", "What a waste of time.", "Never again.", "Terrible experience.", "So disappointing.",
    "I want my money back.", "This is unacceptable.", "Worst trip ever.",
)
_SENTENCE_START_WORDS = frozenset("""the a an this that these those it its my our your their we they you he she
there here i'm it's so and but what why how when where thanks thank just great good love""".split())


def _append(text: str, sentence: str) -> str:
    body = text.rstrip()
    if body and body[-1].isalnum():
        body += "."
    return f"{body} {sentence}{text[len(text.rstrip()):]}"


def _prefix(text: str, clause: str) -> str:
    stripped = text.lstrip()
    first = stripped.split(None, 1)[0] if stripped else ""
    if first.lower().replace("’", "'") in _SENTENCE_START_WORDS and first not in ("I", "I'm"):
        stripped = stripped[:1].lower() + stripped[1:]
    return f"{clause} {stripped}"


def _add_phrases(text: str, rng: random.Random, *, prefixes: tuple[str, ...], suffixes: tuple[str, ...],
                 samples: int) -> list[str]:
    if not text.strip():
        return []
    choices = [("prefix", p) for p in prefixes] + [("suffix", s) for s in suffixes]
    outputs = []
    for kind, phrase in rng.sample(choices, min(samples, len(choices))):
        outputs.append(_prefix(text, phrase) if kind == "prefix" else _append(text, phrase))
    return outputs


def add_irrelevant_negation(*, samples: int = 1, where: str = "either", seed: int = 0) -> Perturbation:
    """Add a negated clause about something else ("I did not check the weather, but ...")."""
    prefixes = IRRELEVANT_PREFIXES if where in ("start", "either") else ()
    suffixes = IRRELEVANT_SUFFIXES if where in ("end", "either") else ()
    if not prefixes and not suffixes:
        raise ValueError(f"where must be 'start', 'end' or 'either', got {where!r}")
    return perturbation("add_irrelevant_negation",
                        partial(_add_phrases, prefixes=prefixes, suffixes=suffixes, samples=samples), seed,
                        samples=samples, where=where)


def add_positive_phrase(*, phrases: tuple[str, ...] = POSITIVE_PHRASES, samples: int = 1, seed: int = 0) -> Perturbation:
    """Append a positive sentence ("... Thank you.")."""
    return perturbation("add_positive_phrase",
                        partial(_add_phrases, prefixes=(), suffixes=tuple(phrases), samples=samples), seed,
                        samples=samples)


def add_negative_phrase(*, phrases: tuple[str, ...] = NEGATIVE_PHRASES, samples: int = 1, seed: int = 0) -> Perturbation:
    """Append a negative sentence ("... I hate waiting.")."""
    return perturbation("add_negative_phrase",
                        partial(_add_phrases, prefixes=(), suffixes=tuple(phrases), samples=samples), seed,
                        samples=samples)
