"""Question pairs that assay generates itself, to fit the duplicate-question model's ``a`` and ``t``.

Built only from assay's templates, built-in lexicons and perturbations; never from a CheckList suite.
Duplicates (label 1): a question and its paraphrase (pair templates that share their slots), or the
question after a meaning-keeping edit (a typo, a contraction, punctuation, case, the two questions
swapped). Not duplicates (label 0): the same question about another person, place, number or thing
(a name, location or number swapped; numbered slots that never share a word), the opposite adjective,
or two unrelated questions. Seeded: the same seed gives the same pairs.
"""

from __future__ import annotations

import random

from assay import perturb, template

# Question patterns over the built-in lexicons (assay.lexicon): {professions}, {cities}, ...
QUESTIONS = [
    "How can I become a better {professions}?",
    "What is the best {product_things} to buy in {cities}?",
    "Is {first_names} {last_names} a good {professions}?",
    "Why is {cities} so {positive_adjectives}?",
    "How many people live in {cities}?",
    "What is it like to work as a {professions} in {countries}?",
    "Can I visit {countries} without a visa?",
    "How do I find a {positive_adjectives} {restaurant_things} in {cities}?",
    "What should I do if my {product_things} is {negative_adjectives}?",
    "Who is the most {positive_adjectives} {professions} in {countries}?",
    "Where did {first_names} {last_names} grow up?",
    "What do {nationalities} people eat for breakfast?",
]

# Paraphrases: both sides share their slots, so each filled pair asks the same thing.
PARAPHRASES = [
    ("How can I become a better {professions}?", "What should I do to improve as a {professions}?"),
    ("How many people live in {cities}?", "What is the population of {cities}?"),
    ("Can I visit {countries} without a visa?", "Do I need a visa to travel to {countries}?"),
    ("What is the best {product_things} to buy in {cities}?", "Which {product_things} should I buy in {cities}?"),
    ("Is {first_names} {last_names} a good {professions}?", "Is {first_names} {last_names} good at being a {professions}?"),
    ("Where did {first_names} {last_names} grow up?", "In which place did {first_names} {last_names} spend their childhood?"),
    ("What do {nationalities} people eat for breakfast?", "What is a typical {nationalities} breakfast?"),
    ("Why is {cities} so {positive_adjectives}?", "What makes {cities} so {positive_adjectives}?"),
    ("How do I find a {positive_adjectives} {restaurant_things} in {cities}?",
     "Where can I find a {positive_adjectives} {restaurant_things} in {cities}?"),
    ("What is it like to work as a {professions} in {countries}?", "How is life as a {professions} in {countries}?"),
]

# Same words, another person / place / thing: numbered slots of one family never share a word.
CHANGED = [
    ("How can I become a better {professions1}?", "How can I become a better {professions2}?"),
    ("How many people live in {cities1}?", "How many people live in {cities2}?"),
    ("Can I visit {countries1} without a visa?", "Can I visit {countries2} without a visa?"),
    ("What is the best {product_things1} to buy in {cities}?", "What is the best {product_things2} to buy in {cities}?"),
    ("What do {nationalities1} people eat for breakfast?", "What do {nationalities2} people eat for breakfast?"),
    ("Why is {cities} so {positive_adjectives}?", "Why is {cities} so {negative_adjectives}?"),
    ("Who is the most {positive_adjectives} {professions} in {countries}?",
     "Who is the most {negative_adjectives} {professions} in {countries}?"),
]

SAME_MEANING = [perturb.typos(1), perturb.contractions(), perturb.strip_punctuation(), perturb.lowercase()]
OTHER_MEANING = [perturb.swap_names(1), perturb.swap_locations(1), perturb.change_numbers(1)]


def _sample(patterns, n: int, seed: int) -> list:
    return list(template(patterns, n=n, seed=seed))


def training_pairs(per_class: int = 600, seed: int = 0) -> list[tuple[tuple[str, str], int]]:
    """``per_class`` duplicate and ``per_class`` non-duplicate pairs, shuffled with ``seed``."""
    rng = random.Random(seed)
    questions = _sample(QUESTIONS, 4 * per_class, seed)
    dup: list[tuple[str, str]] = _sample(PARAPHRASES, per_class, seed + 1)
    for q in questions[:per_class]:
        edit = rng.choice(SAME_MEANING)
        changed = [c for c in edit(q) if c != q]
        if changed:
            dup.append((q, changed[0]))
    not_dup: list[tuple[str, str]] = _sample(CHANGED, per_class, seed + 2)
    for q in questions[per_class:2 * per_class]:
        for edit in rng.sample(OTHER_MEANING, len(OTHER_MEANING)):
            changed = [c for c in edit(q) if c != q]
            if changed:
                not_dup.append((q, changed[0]))
                break
    others = questions[2 * per_class:]
    not_dup += [(a, b) for a, b in zip(others[::2], others[1::2]) if a.split()[:2] != b.split()[:2]]
    # Order does not matter for a duplicate: some pairs are swapped.
    dup = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in dup]
    rng.shuffle(dup)
    rng.shuffle(not_dup)
    pairs = [(p, 1) for p in dup[:per_class]] + [(p, 0) for p in not_dup[:per_class]]
    rng.shuffle(pairs)
    return pairs
