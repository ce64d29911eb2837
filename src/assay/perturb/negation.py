"""Rule-based negation of English sentences: add or remove the negation of the main verb.

The rules are deliberately conservative. ``add_negation`` negates the first finite verb of the
first sentence that has one (auxiliaries, modals, be/have/do, and plain verbs through do-support);
``remove_negation`` removes the first verbal negation ("is not", "didn't like", "never", ...).
Both return ``[]`` rather than guess: questions, clauses already negated, relative clauses before
the main verb, unknown verbs and sentences without a clear subject are left alone.
See docs/negation.md for a table of examples that the test suite checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from .base import Perturbation, deterministic
from .wordclasses import (
    ADVERBS, AUX, BE, CLAUSE_BREAK, CONTRACTION_HEADS, DETERMINERS, DO, HAVE, INTRO, MODALS, NEGATORS,
    NON_FINITE, NO_CLAUSE, NPI, NT_BARE, NT_TO_AUX, NT_TO_DO, OBJECT_STARTS, PLURAL_NOUNS, PLURAL_PRONOUNS,
    PREPOSITIONS, PRONOUNS, RELATIVE, SENTENCE_ADVERBS, SINGULAR_DETERMINERS, SUBJECT_PRONOUNS, SUBORDINATORS,
    THIRD_PRONOUNS, TIME_ADVERBS, WH,
)
from .verbs import IRREGULAR, SAME_PAST, VERBS, base_of_past, base_of_third, is_participle, past, third_person

_TOKEN = re.compile(
    r"https?://\S+|www\.\S+|[@#]\w+|[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,:]\d+)*|[^\sA-Za-z\d]"
)


@dataclass(frozen=True)
class Tok:
    text: str
    start: int
    end: int

    @property
    def lw(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()


class _Ambiguous(Exception):
    """The sentence has a candidate but no safe rewrite: the whole text is left alone."""


Edit = tuple[int, int, str]


def _sentences(text: str) -> list[list[Tok]]:
    sentences: list[list[Tok]] = [[]]
    previous_end = 0
    for m in _TOKEN.finditer(text):
        tok = Tok(m.group(), m.start(), m.end())
        if "\n" in text[previous_end:tok.start] and sentences[-1]:
            sentences.append([])
        sentences[-1].append(tok)
        previous_end = tok.end
        if tok.text in ".!?…":
            sentences.append([])
    return [s for s in sentences if s]


def _cased(source: str, replacement: str) -> str:
    if len(source) > 1 and source.isupper():
        return replacement.upper()
    if source[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _after(source: str, insertion: str) -> str:
    """Text inserted after ``source``: upper case when source is an upper-case word."""
    return insertion.upper() if len(source) > 1 and source.isupper() else insertion


def _apply(text: str, edits: list[Edit]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _is_question(toks: list[Tok]) -> bool:
    return any(t.text == "?" for t in toks)


def _clause_start(toks: list[Tok]) -> int:
    s = 0
    while s < len(toks) and (toks[s].text[:1] in "@#" or toks[s].lw.startswith(("http", "www."))
                             or not (toks[s].is_word or toks[s].text[:1].isdigit())):
        s += 1
    if s < len(toks) and toks[s].lw in SUBORDINATORS:
        comma = next((k for k in range(s, len(toks)) if toks[k].text == ","), None)
        if comma is None:
            raise _Ambiguous
        return comma + 1
    for k in range(s, min(s + 4, len(toks))):
        if toks[k].text in ",!" and all(t.lw in INTRO for t in toks[s:k]) and k > s:
            return k + 1
    while s + 1 < len(toks) and toks[s].lw in INTRO and (toks[s + 1].lw in PRONOUNS or toks[s + 1].lw in DETERMINERS):
        s += 1  # "Well I liked it", "So the flight was fine"
    return s


def _next_word(toks: list[Tok], i: int, skip_adverbs: bool = True) -> int | None:
    k = i + 1
    while k < len(toks) and skip_adverbs and (toks[k].lw in ADVERBS or toks[k].lw in TIME_ADVERBS):
        k += 1
    return k if k < len(toks) and toks[k].is_word else None


def _participle(base: str) -> str | None:
    return IRREGULAR[base][1] if base in IRREGULAR else past(base)


def _verb_form(word: str) -> tuple[str, str] | None:
    if word in VERBS:
        return "base", word
    base = base_of_past(word)
    if base is not None:
        return "past", base
    base = base_of_third(word)
    if base is not None:
        return "third", base
    return None


def _later_aux(toks: list[Tok], i: int) -> bool:
    for t in toks[i + 1:]:
        if t.lw in CLAUSE_BREAK:
            return False
        if t.lw in AUX or t.lw.endswith("n't") or t.lw in NT_BARE:
            return True
    return False


# -- adding a negation -------------------------------------------------------------------------
def _negate_aux(toks: list[Tok], i: int, contracted: bool) -> list[Edit]:
    t, w = toks[i], toks[i].lw
    nxt = toks[i + 1].lw if i + 1 < len(toks) else ""
    if any(tok.lw in NEGATORS or tok.lw.endswith("n't") for tok in toks[i + 1:i + 4]):
        raise _Ambiguous  # "is not", "is also not done"
    if nxt in {"but", "and", "or", "so", "too", "as", "if", "because", "though"}:
        raise _Ambiguous  # "I will but right now ...": elliptical
    inverted = {"i", "we", "they", "he", "she", "you"} | ({"it", "there"} if w in BE | MODALS else set())
    if nxt in inverted and "'" not in w:
        raise _Ambiguous  # "how are you doing": an inverted question without "?"
    if nxt in SENTENCE_ADVERBS and "'" not in w and w in BE | MODALS:
        adverb = toks[i + 1]  # "were probably late" -> "were probably not late"
        return [(adverb.end, adverb.end, _after(t.text, " not"))]
    if "'" in w:
        head, tail = w.split("'", 1)
        k = _next_word(toks, i)
        if tail in ("m", "re") or (tail == "s" and not (k is not None and toks[k].lw in ("been", "got"))):
            return [(t.end, t.end, _after(t.text, " not"))]
        if tail == "s":
            return [(t.start, t.end, t.text[: len(head)] + _cased(t.text, " hasn't" if contracted else " has not"))]
        if tail == "ll":
            return [(t.start, t.end, t.text[: len(head)] + _cased(t.text, " won't" if contracted else " will not"))]
        if tail == "ve" and k is not None and is_participle(toks[k].lw):
            return [(t.start, t.end, t.text[: len(head)] + _cased(t.text, " haven't" if contracted else " have not"))]
        raise _Ambiguous
    k = _next_word(toks, i)
    if w in HAVE and k is not None and toks[k].lw in ("all", "both") and k + 1 < len(toks) \
            and is_participle(toks[k + 1].lw):
        k += 1  # "We have all wasted a day"
    if w in HAVE and (k is None or not (is_participle(toks[k].lw) or toks[k].lw == "been")):
        following = toks[i + 1] if i + 1 < len(toks) else None
        if following is None or not (following.lw in OBJECT_STARTS or following.text[:1].isdigit()):
            raise _Ambiguous  # "We have.", "It has reopened" (unknown participle), "We had fun"
        do = {"has": "does", "have": "do", "had": "did"}[w]
        return [(t.start, t.end, _cased(t.text, f"{do}n't have" if contracted else f"{do} not have"))]
    if w in DO:
        if k is None:
            raise _Ambiguous  # "I did." - elliptical
        if toks[k].lw not in VERBS and toks[k].lw not in OBJECT_STARTS:
            raise _Ambiguous  # "she just did but ...", "did DM"
        if toks[k].lw not in VERBS:
            return [(t.start, t.end, _cased(t.text, f"{w}n't do" if contracted else f"{w} not do"))]
    if w == "am":
        return [(t.end, t.end, _after(t.text, " not"))]
    if w == "can":
        return [(t.start, t.end, _cased(t.text, "can't" if contracted else "cannot"))]
    if contracted:
        short = {"will": "won't", "shall": "shall not", "may": "may not", "might": "might not"}.get(w, w + "n't")
        return [(t.start, t.end, _cased(t.text, short))]
    return [(t.end, t.end, _after(t.text, " not"))]


def _do_support(toks: list[Tok], insert_at: int, i: int, do: str, base: str, contracted: bool) -> list[Edit]:
    verb = toks[i]
    neg = f"{do}n't" if contracted else f"{do} not"
    anchor = toks[insert_at]
    if insert_at == i:
        return [(verb.start, verb.end, _cased(verb.text, f"{neg} {base}"))]
    return [(anchor.start, anchor.start, _cased(anchor.text, neg) + " "), (verb.start, verb.end, _cased(verb.text, base))]


def _negate_sentence(toks: list[Tok], contracted: bool) -> list[Edit] | None:
    if _is_question(toks):
        return None
    s = _clause_start(toks)
    if s >= len(toks) or toks[s].lw in WH or toks[s].lw in NO_CLAUSE:
        return None
    for i in range(s, len(toks)):
        t, w = toks[i], toks[i].lw
        if not t.is_word:
            if t.text in ",;:" and i > s:
                raise _Ambiguous
            continue
        if w in NEGATORS or w.endswith("n't") or w in NT_BARE:
            raise _Ambiguous
        if i > s and (w in RELATIVE or w in SUBORDINATORS):
            raise _Ambiguous
        head = w.split("'", 1)[0]
        if w in AUX or ("'" in w and head in CONTRACTION_HEADS and w.split("'", 1)[1] in ("m", "re", "s", "ll", "ve", "d")):
            if i > s and toks[i - 1].lw == "to":
                continue  # "happy to have had you on board": not a finite verb
            if w == "am" and not (i > s and toks[i - 1].lw == "i"):
                continue  # "am" as in "7 am"
            if i + 1 >= len(toks) or not toks[i + 1].is_word:
                raise _Ambiguous  # elliptical: "I am - thank you!"
            if i == s and "'" not in w:
                k = i + 1
                if k < len(toks) and (toks[k].lw in PRONOUNS or toks[k].lw in DETERMINERS):
                    return None  # an inverted question without its question mark
            return _negate_aux(toks, i, contracted)
        form = _verb_form(w)
        if form is None or w == "be" or (t.text[:1].isupper() and i > s and not t.text.isupper()):
            continue  # "United", "Virgin": a capitalised word inside a sentence is a name
        kind, base = form
        nxt = toks[i + 1].lw if i + 1 < len(toks) else ""
        if w in SAME_PAST:
            kind = "past"  # "It cost me $200" is past; "The tickets cost $200" could be either
            if not (i == s + 1 and toks[s].lw in THIRD_PRONOUNS):
                raise _Ambiguous
        if i == s:
            if kind == "past" and base not in SAME_PAST and nxt in OBJECT_STARTS:
                return _do_support(toks, i, i, "did", base, contracted)  # "Loved it." (no subject)
            raise _Ambiguous  # an imperative or a dropped subject: "Love this airline"
        first = i
        while first - 1 > s and toks[first - 1].lw in ADVERBS:
            first -= 1
        subject = toks[s:first]
        prev = toks[first - 1].lw
        if prev in DETERMINERS or prev in PREPOSITIONS or prev in NON_FINITE or not toks[first - 1].is_word:
            continue
        if len(subject) == 1 and subject[0].lw in PRONOUNS:
            pron = subject[0].lw
            if kind == "past":
                if base in SAME_PAST and pron not in THIRD_PRONOUNS:
                    raise _Ambiguous  # "I put" / "they cost": present or past?
                return _do_support(toks, first, i, "did", base, contracted)
            if kind == "third" and pron in THIRD_PRONOUNS:
                return _do_support(toks, first, i, "does", base, contracted)
            if kind == "base" and pron in PLURAL_PRONOUNS:
                return _do_support(toks, first, i, "do", base, contracted)
            continue
        if (any(tok.lw in PRONOUNS for tok in subject[1:]) or subject[0].lw in SUBJECT_PRONOUNS
                or all(tok.lw in ADVERBS or tok.lw in INTRO for tok in subject)
                or len(subject) > 6 or nxt == "by" or _later_aux(toks, i)):
            continue  # "The flight I booked was late": the main verb comes later
        if kind == "past" and base not in SAME_PAST:
            if nxt in PREPOSITIONS and _participle(base) == w:
                continue  # "A match made in heaven": a participle, not the main verb
            name = len(subject) == 1 and subject[0].text[:1].isupper() and not subject[0].text.isupper()
            if subject[0].lw not in DETERMINERS | THIRD_PRONOUNS and not name and _participle(base) == w:
                continue  # "flight delayed 3 hours", "DM sent.": a headline-style passive
            return _do_support(toks, first, i, "did", base, contracted)
        if kind == "third":
            if subject[0].lw in SINGULAR_DETERMINERS and nxt and toks[i + 1].is_word:
                return _do_support(toks, first, i, "does", base, contracted)
            continue  # "5 gate changes", "Good times": a plural noun, not a verb
        last = subject[-1].lw
        plural = (last.endswith("s") and "'" not in last and not last.endswith(("ss", "us", "is"))
                  and subject[0].lw in DETERMINERS) or (len(subject) == 1 and last in PLURAL_NOUNS)
        if kind == "base" and plural:
            return _do_support(toks, first, i, "do", base, contracted)
    return None


def add_negation(text: str, *, contracted: bool = False) -> list[str]:
    """``["The flight was not good."]`` for "The flight was good."; ``[]`` when no safe rewrite exists."""
    try:
        for sentence in _sentences(text):
            edits = _negate_sentence(sentence, contracted)
            if edits:
                return [_apply(text, edits)]
    except _Ambiguous:
        return []
    return []


# -- removing a negation -----------------------------------------------------------------------
def _remove_do(toks: list[Tok], i: int, end: int, do: str, s: int) -> list[Edit]:
    """Remove do-support: toks[i] is the do-word, toks[i..end] the negation ("did not" / "didn't")."""
    k = end + 1
    while k < len(toks) and toks[k].lw in ADVERBS:
        k += 1
    if k >= len(toks) or not toks[k].is_word or toks[k].lw not in VERBS:
        raise _Ambiguous
    verb, base = toks[k], toks[k].lw
    form = {"do": base, "does": third_person(base), "did": past(base)}[do]
    if form is None:
        raise _Ambiguous
    if do == "do" and i == s:
        first = toks[end + 1]  # an imperative: "Don't fly with them." -> "Fly with them."
        edits = [(toks[i].start, first.start, "")]
        if first is verb:
            return edits + [(verb.start, verb.end, _cased(toks[i].text, form) if not verb.text.isupper() else form.upper())]
        return edits + [(first.start, first.start + 1, _cased(toks[i].text, first.text[0])),
                        (verb.start, verb.end, form.upper() if verb.text.isupper() else form)]
    cased = form.upper() if verb.text.isupper() and len(verb.text) > 1 else form
    return [(toks[i].start, toks[end + 1].start, ""), (verb.start, verb.end, cased)]


def _unnegate_sentence(toks: list[Tok]) -> list[Edit] | None:
    if _is_question(toks):
        return None
    s = _clause_start(toks)
    for i in range(s, len(toks)):
        t, w = toks[i], toks[i].lw
        if w in NT_TO_DO:
            return _remove_do(toks, i, i, NT_TO_DO[w], s)
        if w in NT_TO_AUX:
            return [(t.start, t.end, _cased(t.text, NT_TO_AUX[w]))]
        if w == "aint":
            raise _Ambiguous
        if w == "not" and i > s:
            prev = toks[i - 1]
            if prev.lw in DO:
                return _remove_do(toks, i - 1, i, prev.lw, s)
            if prev.lw in AUX or (prev.lw.split("'", 1)[0] in CONTRACTION_HEADS and "'" in prev.lw):
                if i + 1 >= len(toks) or not toks[i + 1].is_word:
                    raise _Ambiguous  # "I can NOT- It says ...": elliptical
                return [(prev.end, t.end, "")]
        if w == "never":
            if i == s:
                raise _Ambiguous  # "Never again."
            if i + 1 < len(toks) and toks[i + 1].is_word:
                return [(t.start, toks[i + 1].start, "")]
            raise _Ambiguous
    return None


def _has_polarity_item(toks: list[Tok], after: int) -> bool:
    words = [t.lw for t in toks if t.start >= after]
    pairs = {" ".join(p) for p in zip(words, words[1:])}
    return bool(NPI & set(words)) or bool({"at all", "any more", "any longer"} & pairs)


def remove_negation(text: str) -> list[str]:
    """``["The flight was good."]`` for "The flight wasn't good."; ``[]`` when there is no verbal negation."""
    try:
        for sentence in _sentences(text):
            edits = _unnegate_sentence(sentence)
            if edits and _has_polarity_item(sentence, min(e[0] for e in edits)):
                return []  # "I haven't had any food" cannot become "I have had any food"
            if edits:
                return [_apply(text, edits)]
    except _Ambiguous:
        return []
    return []


def add_negation_perturbation(*, contracted: bool = False, seed: int = 0) -> Perturbation:
    """Negate the main verb ("was good" -> "was not good", "liked" -> "did not like")."""
    return deterministic("add_negation", partial(add_negation, contracted=contracted), seed, contracted=contracted)


def remove_negation_perturbation(*, seed: int = 0) -> Perturbation:
    """Remove the first verbal negation ("wasn't good" -> "was good", "did not like" -> "liked")."""
    return deterministic("remove_negation", remove_negation, seed)
