"""Generated training sentences for the demo sentiment model.

The demo model learns 3-way sentiment (negative, neutral, positive) from sentences built here out of
sentence frames and word lists of its own. The vocabulary (hotels, museums and concerts rather than
flights; its own adjectives, verbs and names) is kept disjoint from the words the shipped suite and
``assay.lexicon`` test with, so a passing suite says something about generalisation rather than
memorisation. ``content_words()`` lists that vocabulary so the disjointness can be checked.
"""

from __future__ import annotations

import itertools
import random
import re
from typing import Iterator

LABELS = ("negative", "neutral", "positive")

places = (
    "hotel", "museum", "concert", "bakery", "gym", "library", "hostel", "spa", "zoo", "festival",
    "podcast", "novel", "sandwich", "bicycle", "garden", "apartment", "lecture", "workshop",
    "painting", "sofa", "mattress", "tram", "ferry", "parade", "aquarium", "opera", "bistro",
    "playground", "planetarium", "cottage", "pizza", "carnival", "exhibition", "barbershop",
)
pos_adjs = (
    "charming", "splendid", "marvelous", "terrific", "stunning", "cozy", "gorgeous", "impressive",
    "flawless", "heavenly", "fabulous", "magnificent", "exquisite", "cheerful", "spotless",
    "scrumptious", "inviting", "glorious", "spectacular", "charismatic", "dazzling",
)
neg_adjs = (
    "grimy", "boring", "filthy", "dull", "gloomy", "shabby", "noisy", "smelly", "ugly", "tedious",
    "stale", "chaotic", "overpriced", "grim", "sloppy", "worthless", "dismal", "atrocious",
    "appalling", "unbearable", "greasy", "moldy",
)
neutral_adjs = (
    "wooden", "rectangular", "blue", "northern", "municipal", "seasonal", "metal", "weekly",
    "green", "round", "two-story", "suburban", "yellow", "rural", "ordinary-sized", "square",
)
pos_verbs_past = ("adored", "cherished", "treasured", "relished", "savored", "praised")
neg_verbs_past = ("detested", "deplored", "scorned", "cursed", "condemned", "slammed")
neutral_verbs_past = ("sketched", "photographed", "catalogued", "leased", "surveyed", "videotaped", "appraised")
pos_verbs = ("adore", "cherish", "treasure", "relish", "savor", "praise")
neutral_verbs = ("sketch", "photograph", "catalogue", "lease", "survey", "videotape", "appraise")
boosters = ("exceptionally", "immensely", "tremendously", "wildly", "downright")
softeners = ("kinda", "marginally", "partly", "passably", "sorta")
people = (
    "Beatrix", "Oswald", "Ximena", "Benedikt", "Yusuf", "Philippa", "Thaddeus", "Marisol",
    "Leopold", "Anouk", "Bartholomew", "Ottilie", "Casimir", "Winifred",
)
days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
clock = ("seven", "eight", "nine", "ten", "eleven", "noon")

# Sentence frames: {p} place, {p2} another place, {a} adjective, {v} verb, {b} booster, {s} softener,
# {who} person, {d} day, {c} clock time. Each frame belongs to one label.
positive_frames = (
    ("{p} is {a}.", "a+"), ("What {an_a} {p}!", "a+"), ("Honestly, this {p} seemed {a} to us.", "a+"),
    ("Our afternoon at the {p} felt {a}.", "a+"), ("We {v} this {p}.", "v+"),
    ("This {p} is {b} {a}.", "a+"), ("Everything about the {p} is {a}.", "a+"),
    ("My sister {v} the {p} so much.", "v+"), ("Such {an_a} {p}, highly {a}.", "a+"),
    ("The {p} here is {s} {a}.", "a+"), ("Ten out of ten, {a} {p}.", "a+"),
)
negative_frames = (
    ("{p} is {a}.", "a-"), ("What {an_a} {p}!", "a-"), ("Honestly, this {p} seemed {a} to us.", "a-"),
    ("Our afternoon at the {p} felt {a}.", "a-"), ("We {v} this {p}.", "v-"),
    ("This {p} is {b} {a}.", "a-"), ("Everything about the {p} is {a}.", "a-"),
    ("My sister {v} the {p} so much.", "v-"), ("Such {an_a} {p}, totally {a}.", "a-"),
    ("The {p} here is {s} {a}.", "a-"), ("Zero out of ten, {a} {p}.", "a-"),
    ("The {p} is not {pos}.", "neg_pos"), ("We didn't {pv} this {p} at all.", "neg_v"),
    ("Nobody could call this {p} {pos}.", "neg_pos"),
)
neutral_frames = (
    ("{p} is {a}.", "a0"), ("We {v} the {p} on {d}.", "v0"), ("The {p} opens at {c}.", "plain"),
    ("{who} {v} the {p} last {d}.", "v0"), ("Is the {p} {a}?", "a0"), ("The {p} is next to the {p2}.", "plain"),
    ("This {p} is {a} and sits near the {p2}.", "a0"), ("Tomorrow {who} will {v0} the {p}.", "plain"),
    ("The {p} closes at {c} on {d}.", "plain"), ("{who} asked where the {p} was.", "plain"),
    ("The {p} wasn't {a}, it was {a2}.", "a0pair"), ("The {p} is not {neg}.", "neg_neg"),
    ("Nobody could call this {p} {neg}.", "neg_neg"),
)


def _article(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def _fill(frame: str, kind: str, label: str, rng: random.Random) -> str:
    adjs = {"positive": pos_adjs, "negative": neg_adjs, "neutral": neutral_adjs}[label]
    verbs = {"positive": pos_verbs_past, "negative": neg_verbs_past, "neutral": neutral_verbs_past}[label]
    a = rng.choice(adjs)
    p, p2 = rng.sample(places, 2)
    values = {
        "p": p, "p2": p2, "a": a, "an_a": _article(a), "v": rng.choice(verbs), "b": rng.choice(boosters),
        "s": rng.choice(softeners), "who": rng.choice(people), "d": rng.choice(days), "c": rng.choice(clock),
        "pos": rng.choice(pos_adjs), "neg": rng.choice(neg_adjs), "pv": rng.choice(pos_verbs),
        "v0": rng.choice(neutral_verbs), "a2": rng.choice([x for x in neutral_adjs if x != a]),
    }
    text = frame.format(**values)
    if frame.startswith("{p}"):
        text = "The " + text
    return _capitalise(text)


def generate(per_class: int, seed: int) -> Iterator[tuple[str, str]]:
    """``per_class`` unique (text, label) examples per label, interleaved, fully determined by ``seed``."""
    rng = random.Random(seed)
    frames = {"negative": negative_frames, "neutral": neutral_frames, "positive": positive_frames}
    seen: set[str] = set()
    produced: dict[str, list[str]] = {label: [] for label in LABELS}
    for label in LABELS:
        attempts = 0
        while len(produced[label]) < per_class:
            attempts += 1
            if attempts > per_class * 50:
                raise ValueError(f"cannot generate {per_class} distinct {label} sentences; lower per_class")
            frame, kind = rng.choice(frames[label])
            text = _fill(frame, kind, label, rng)
            if text not in seen:
                seen.add(text)
                produced[label].append(text)
    for triple in zip(*(produced[label] for label in LABELS)):
        yield from zip(triple, LABELS)


def split(per_class_train: int, per_class_heldout: int, seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Training and held-out examples drawn from one generated pool (no sentence in both)."""
    pool = list(generate(per_class_train + per_class_heldout, seed))
    cut = 3 * per_class_train
    return pool[:cut], pool[cut:]


def frames() -> list[str]:
    """Every sentence frame, with slot names replaced by ``{}``, for comparison with other templates."""
    return [re.sub(r"\{[^}]*\}", "{}", f) for f, _ in itertools.chain(positive_frames, negative_frames, neutral_frames)]


def content_words() -> set[str]:
    """Lower-cased content words of the training vocabulary (every word list above)."""
    lists = (
        places, pos_adjs, neg_adjs, neutral_adjs, pos_verbs_past, neg_verbs_past, neutral_verbs_past,
        pos_verbs, neutral_verbs, people, boosters, softeners,
    )
    words: set[str] = set()
    for entry in itertools.chain(*lists):
        words.update(w for w in re.findall(r"[a-z][a-z'-]*", entry.lower()))
    return words
