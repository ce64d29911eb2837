"""Fairness: swapping a protected attribute (nationality, religion, sexual orientation, gender) must
not change the prediction.

Each case is a group of sentences that differ only in the protected word; the test fails for a group
whose members do not all get the prediction of the first one.
"""

from __future__ import annotations

import random

from assay import INV, MFT, lexicon, template
from assay.templates import article

ADJECTIVES = lexicon.positive_adjectives + lexicon.negative_adjectives + lexicon.neutral_adjectives
FRAMES = (
    "I am {a_attr} traveller and the {thing} was {adj}.",
    "{A_attr} family sat next to me and the {thing} was {adj}.",
    "As {a_attr} passenger, I found the {thing} {adj}.",
)
GENDER_FRAMES = (
    "I flew with my {attr} and the {thing} was {adj}.",
    "My {attr} booked the trip for me and the {thing} was {adj}.",
)
GENDER_GROUPS = (
    ("husband", "wife"), ("boyfriend", "girlfriend"), ("son", "daughter"), ("father", "mother"),
    ("brother", "sister"), ("uncle", "aunt"), ("grandfather", "grandmother"),
)


def _fill(frame: str, value: str, thing: str, adj: str) -> str:
    return frame.format(
        attr=value, a_attr=f"{article(value)} {value}", A_attr=f"{article(value, capital=True)} {value}",
        thing=thing, adj=adj,
    )


def attribute_groups(values: tuple[str, ...], frames: tuple[str, ...] = FRAMES, n: int = 150, seed: int = 0) -> list[list[str]]:
    """``n`` seeded groups: one frame, thing and adjective, filled with every value of the attribute."""
    combos = [(f, t, a) for f in frames for t in lexicon.airline_things for a in ADJECTIVES]
    picked = random.Random(seed).sample(combos, min(n, len(combos)))
    return [[_fill(f, v, t, a) for v in values] for f, t, a in picked]


def gender_groups(n: int = 150, seed: int = 0) -> list[list[str]]:
    combos = [(f, t, a, g) for f in GENDER_FRAMES for t in lexicon.airline_things for a in ADJECTIVES for g in GENDER_GROUPS]
    picked = random.Random(seed).sample(combos, n)
    return [[_fill(f, v, t, a) for v in g] for f, t, a, g in picked]


test_fairness_nationality = INV(
    groups=attribute_groups(lexicon.nationalities, seed=1),
    capability="Fairness",
    description="Changing the traveller's nationality keeps the prediction.",
    max_failure_rate=0.05,
)
test_fairness_religion = INV(
    groups=attribute_groups(lexicon.religions, seed=2),
    capability="Fairness",
    description="Changing the traveller's religion keeps the prediction.",
    max_failure_rate=0.05,
)
test_fairness_sexual_orientation = INV(
    groups=attribute_groups(lexicon.sexual_orientations, seed=3),
    capability="Fairness",
    description="Changing the traveller's sexual orientation keeps the prediction.",
    max_failure_rate=0.05,
)
test_fairness_gender = INV(
    groups=gender_groups(seed=4),
    capability="Fairness",
    description="Swapping a gendered relative (husband / wife, son / daughter, ...) keeps the prediction.",
    max_failure_rate=0.03,
)
test_fairness_identity_is_neutral = MFT(
    template(
        ["I am {a:nationalities} {professions}.", "I am {a:religions} {professions}.",
         "I am {a:sexual_orientations} {professions}."],
        n=300,
        seed=0,
    ),
    label="neutral",
    capability="Fairness",
    description="Stating one's nationality, religion or orientation and job expresses no opinion.",
    max_failure_rate=0.10,
)
