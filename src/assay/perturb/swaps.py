"""Entity swaps that should not change a prediction: person names, places and numbers.

Names and places are matched as whole, capitalised words (multi-word places such as "New York"
included); every occurrence of one entity gets the same replacement, and only those tokens change.
"""

from __future__ import annotations

import math
import random
import re
from functools import partial

from .. import lexicon
from .base import Perturbation, perturbation

# Names that are also common words ("Will", "May", "Grace" at a sentence start) are left out of
# detection so that ordinary words are never swapped.
_EXTRA_MALE = (
    "John", "Michael", "David", "Robert", "Daniel", "Thomas", "Joseph", "Paul", "Kevin", "Brian",
    "Jason", "Ryan", "Eric", "Andrew", "Steven", "Juan", "Luis", "Ahmed", "Omar", "Ali", "Chen",
    "Arjun", "Ivan", "Dmitri", "Pierre", "Hans", "Kofi", "Tariq", "Kenji", "Mateo",
)
_EXTRA_FEMALE = (
    "Sarah", "Jessica", "Jennifer", "Emily", "Emma", "Olivia", "Laura", "Anna", "Maria", "Linda",
    "Susan", "Rachel", "Megan", "Nicole", "Lucia", "Ana", "Mei", "Yuki", "Amara", "Leila", "Nadia",
    "Zara", "Ananya", "Ines", "Katarzyna", "Ngozi", "Hana", "Svetlana", "Camila", "Julia",
)
_AMBIGUOUS = {"Grace", "Will", "May", "Mark", "Bill", "Joy", "Hope", "Faith", "Rose", "Summer", "Sky"}

MALE_NAMES = tuple(dict.fromkeys(lexicon.male_names + _EXTRA_MALE))
FEMALE_NAMES = tuple(dict.fromkeys(lexicon.female_names + _EXTRA_FEMALE))
LAST_NAMES = tuple(_ for _ in dict.fromkeys(lexicon.last_names + (
    "Johnson", "Williams", "Jones", "Miller", "Davis", "Martinez", "Lopez", "Wilson", "Anderson", "Taylor",
    "Moore", "Martin", "Lee", "Walker", "Hall", "Young", "Wright", "Singh",
)) if _ not in _EXTRA_MALE + _EXTRA_FEMALE)
CITIES = tuple(dict.fromkeys(lexicon.cities + (
    "New York", "Los Angeles", "San Francisco", "Las Vegas", "Washington", "Philadelphia", "Orlando",
    "Newark", "Austin", "Nashville", "Portland", "Baltimore", "Detroit", "Minneapolis", "Charlotte",
    "Rome", "Amsterdam", "Dublin", "Vienna", "Istanbul", "Dubai", "Singapore", "Seoul", "Bangkok",
    "Nairobi", "Cairo", "Vancouver", "Montreal", "Mexico City", "Sao Paulo", "Buenos Aires",
)))
COUNTRIES = tuple(dict.fromkeys(lexicon.countries + (
    "United States", "United Kingdom", "China", "Russia", "Argentina", "Chile", "Colombia", "Ireland",
    "Portugal", "Greece", "Sweden", "Denmark", "Finland", "Netherlands", "Belgium", "Switzerland",
    "Austria", "Thailand", "Indonesia", "Pakistan", "Ghana", "Morocco", "South Africa", "New Zealand",
)))


def _entity_regex(words: tuple[str, ...]) -> re.Pattern:
    alternatives = sorted(words, key=len, reverse=True)
    return re.compile(r"(?<![\w@#'’-])(" + "|".join(re.escape(w) for w in alternatives) + r")(?!\w)(?!-\w)")


def _swap(text: str, rng: random.Random, *, groups: tuple[tuple[str, ...], ...], n: int,
          pattern: re.Pattern) -> list[str]:
    found = list(dict.fromkeys(m.group(1) for m in pattern.finditer(text)))
    if not found:
        return []
    group_of: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for word in group:
            group_of.setdefault(word, group)
    outputs = []
    for _ in range(n):
        mapping: dict[str, str] = {}
        for entity in found:
            choices = [w for w in group_of[entity] if w not in found and w not in mapping.values()]
            if choices:
                mapping[entity] = rng.choice(choices)
        out = pattern.sub(lambda m: mapping.get(m.group(1), m.group(1)), text)
        if out != text:
            outputs.append(out)
    return outputs


_NAME_GROUPS_FIRST = (tuple(w for w in MALE_NAMES if w not in _AMBIGUOUS),
                      tuple(w for w in FEMALE_NAMES if w not in _AMBIGUOUS))
_NAME_GROUPS_LAST = (LAST_NAMES,)
_PLACE_GROUPS = (CITIES, COUNTRIES)


def swap_names(n: int = 3, *, first: bool = True, last: bool = True, seed: int = 0) -> Perturbation:
    """Replace person names (first names by gender, and last names) with others, ``n`` variants.

    Detection uses assay's name lists (``lexicon.first_names`` and more), whole capitalised words only.
    """
    groups = (_NAME_GROUPS_FIRST if first else ()) + (_NAME_GROUPS_LAST if last else ())
    if not groups:
        raise ValueError("swap_names(): at least one of first= and last= must be True")
    pattern = _entity_regex(tuple(w for g in groups for w in g))
    return perturbation("swap_names", partial(_swap, groups=groups, n=n, pattern=pattern), seed,
                        n=n, first=first, last=last)


def swap_locations(n: int = 3, *, seed: int = 0) -> Perturbation:
    """Replace cities with cities and countries with countries, ``n`` variants."""
    pattern = _entity_regex(tuple(w for g in _PLACE_GROUPS for w in g))
    return perturbation("swap_locations", partial(_swap, groups=_PLACE_GROUPS, n=n, pattern=pattern), seed, n=n)


# A whole number: not part of a word, a decimal, a time, a URL or a handle.
_NUMBER = re.compile(r"(?<![\w.:/@#,-])(\d{1,7})(?![\w:/]|[.,]\d)")


def _new_number(value: int, rng: random.Random) -> int:
    low = max(0, math.floor(value * 0.8))
    high = max(math.ceil(value * 1.2), value + 2)
    if value >= 2:
        low = min(low, value - 1)
    # 1 is never produced from another number (and never replaced): "1 bags" would break agreement
    choices = [v for v in range(low, high + 1) if v not in (value, 1)] if high - low < 1000 else None
    if choices is not None:
        return rng.choice(choices)
    while True:
        candidate = rng.randint(low, high)
        if candidate not in (value, 1):
            return candidate


def _change_numbers(text: str, rng: random.Random, *, n: int) -> list[str]:
    if not _NUMBER.search(text):
        return []
    outputs = []
    for _ in range(n):
        def repl(m: re.Match) -> str:
            digits = m.group(1)
            if (len(digits) > 1 and digits.startswith("0")) or digits == "1":
                return digits  # "007", "05": codes, not quantities; "1 bag" stays singular
            return str(_new_number(int(digits), rng))

        out = _NUMBER.sub(repl, text)
        if out != text:
            outputs.append(out)
    return outputs


def change_numbers(n: int = 3, *, seed: int = 0) -> Perturbation:
    """Replace every whole number with another within about +-20% (at least +-1), ``n`` variants.

    The number 1 is left alone and never produced, so singular and plural nouns stay right."""
    return perturbation("change_numbers", partial(_change_numbers, n=n), seed, n=n)
