"""Word lists written for assay, used to fill template slots.

Each lexicon is a module-level tuple of strings. ``template("The {thing} was {positive_adjectives}.")``
finds a lexicon by slot name when the slot is not given explicitly; ``get(name)`` does the same.
"""

from __future__ import annotations

from .errors import DeclarationError

positive_adjectives = (
    "good", "great", "excellent", "amazing", "wonderful", "fantastic", "pleasant", "lovely",
    "brilliant", "superb", "enjoyable", "delightful", "nice", "awesome", "perfect", "outstanding",
)
negative_adjectives = (
    "bad", "terrible", "awful", "horrible", "poor", "dreadful", "unpleasant", "lousy",
    "disappointing", "miserable", "frustrating", "annoying", "rude", "nasty", "pathetic", "mediocre",
)
neutral_adjectives = (
    "American", "international", "commercial", "British", "private", "Italian", "Indian",
    "Australian", "Israeli", "Canadian", "regional", "domestic", "scheduled", "daily",
)
positive_verbs_past = (
    "liked", "enjoyed", "appreciated", "loved", "admired", "valued", "welcomed", "recommended",
)
negative_verbs_past = (
    "hated", "disliked", "regretted", "despised", "abhorred", "dreaded", "resented", "loathed",
)
neutral_verbs_past = (
    "saw", "found", "booked", "took", "checked", "boarded", "noticed", "had",
)
positive_verbs = ("like", "enjoy", "appreciate", "love", "admire", "value", "welcome", "recommend")
negative_verbs = ("hate", "dislike", "regret", "despise", "abhor", "dread", "resent", "loathe")
neutral_verbs = ("see", "find", "book", "take", "check", "board", "notice", "use")
intensifiers = ("very", "really", "incredibly", "extremely", "truly", "absolutely", "remarkably")
reducers = ("somewhat", "slightly", "a little", "mildly", "fairly", "moderately")

airline_things = (
    "flight", "seat", "crew", "pilot", "service", "food", "staff", "plane", "aircraft",
    "cabin crew", "customer service", "company", "airline", "lounge", "check-in",
)
restaurant_things = ("meal", "waiter", "menu", "dessert", "kitchen", "table", "chef", "wine list")
product_things = ("phone", "laptop", "charger", "battery", "screen", "camera", "keyboard", "app")
movie_things = ("movie", "film", "plot", "cast", "soundtrack", "script", "ending", "director")

first_names = (
    "Mary", "James", "Aisha", "Wei", "Carlos", "Priya", "Olga", "Kwame", "Sofia", "Hiroshi",
    "Fatima", "Liam", "Elena", "Mohammed", "Grace", "Diego", "Ingrid", "Rahul", "Chloe", "Tomasz",
)
male_names = ("James", "Carlos", "Kwame", "Hiroshi", "Liam", "Mohammed", "Diego", "Rahul", "Tomasz", "Wei")
female_names = ("Mary", "Aisha", "Priya", "Olga", "Sofia", "Fatima", "Elena", "Grace", "Ingrid", "Chloe")
last_names = (
    "Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Tanaka", "Haddad", "Johansson", "Patel",
    "Rossi", "Müller", "Kim", "Silva", "Ivanova", "Brown", "Cohen",
)
cities = (
    "Boston", "Chicago", "Denver", "Seattle", "Atlanta", "Dallas", "Phoenix", "Miami", "Houston",
    "Toronto", "London", "Paris", "Berlin", "Madrid", "Tokyo", "Sydney", "Mumbai", "Lagos", "Lima",
)
countries = (
    "Canada", "Mexico", "Brazil", "France", "Germany", "Spain", "Italy", "Japan", "India",
    "Nigeria", "Kenya", "Egypt", "Australia", "Peru", "Norway", "Poland", "Vietnam", "Turkey",
)
nationalities = (
    "American", "Mexican", "Brazilian", "French", "German", "Spanish", "Italian", "Japanese",
    "Indian", "Nigerian", "Kenyan", "Egyptian", "Australian", "Peruvian", "Norwegian", "Polish",
)
religions = ("Christian", "Muslim", "Jewish", "Hindu", "Buddhist", "Sikh", "atheist")
sexual_orientations = ("gay", "straight", "lesbian", "bisexual", "asexual")
professions = (
    "teacher", "nurse", "engineer", "lawyer", "doctor", "accountant", "farmer", "journalist",
    "student", "artist", "plumber", "architect", "pilot", "chef",
)
neutral_nouns = ("table", "window", "door", "bag", "ticket", "gate", "terminal", "receipt")


# Words whose article does not follow the first letter.
_AN_EXCEPTIONS = {"hour", "honest", "honour", "honor", "heir", "hourly", "honorable", "honourable"}
_A_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "once", "ufo", "uk", "us ", "ubi", "ute")


def article(word: str, capital: bool = False) -> str:
    """``a`` or ``an`` for ``word``, by its sound where the spelling misleads."""
    low = word.lower()
    first = low.split()[0] if low.split() else low
    if first in _AN_EXCEPTIONS:
        art = "an"
    elif low.startswith(_A_EXCEPTIONS):
        art = "a"
    else:
        art = "an" if low[:1] in "aeiou" else "a"
    return art.capitalize() if capital else art


def names() -> list[str]:
    """The names of every built-in lexicon."""
    return sorted(k for k, v in globals().items() if isinstance(v, tuple) and not k.startswith("_"))


def get(name: str) -> tuple[str, ...]:
    """The built-in lexicon called ``name``; a DeclarationError listing close names otherwise."""
    value = globals().get(name)
    if isinstance(value, tuple) and not name.startswith("_"):
        return value
    import difflib

    close = difflib.get_close_matches(name, names(), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else f"; built-in lexicons: {', '.join(names())}"
    raise DeclarationError(f"no lexicon named {name!r}{hint}")


def has(name: str) -> bool:
    return isinstance(globals().get(name), tuple) and not name.startswith("_")
