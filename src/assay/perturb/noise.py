"""Character noise through nlpaug: typos (swapped neighbours), keyboard slips and OCR confusions.

One factory, ``char_noise(kind, ...)``; ``typos``, ``keyboard`` and ``ocr`` are it with the kind filled in.

nlpaug draws from the global ``random`` and ``numpy.random`` generators. Each call seeds both from
the perturbation's own generator and restores their previous state afterwards, so results are
reproducible and the caller's random state is left untouched.
"""

from __future__ import annotations

import contextlib
import functools
import random
import re
import warnings
from functools import partial
from typing import Callable

import numpy as np

from .base import Perturbation, perturbation

# Words and the runs between them are separate tokens, so nlpaug edits inside words only and the
# original spacing and punctuation come back unchanged.
# URLs and @handles / #hashtags count as non-words and are never edited.
_SPLIT = re.compile(r"(https?://\S+|www\.\S+|[@#]\w+|[^\w@#]+|[@#])")
_NOT_A_WORD = r"^(\W*|https?://\S+|www\.\S+|[@#]\w+)$"


def _tokenize(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text) if t]


def _detokenize(tokens: list[str]) -> str:
    return "".join(tokens)


@contextlib.contextmanager
def _seeded_globals(rng: random.Random):
    py_state = random.getstate()
    np_state = np.random.get_state()
    random.seed(rng.getrandbits(64))
    np.random.seed(rng.getrandbits(32))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@functools.lru_cache(maxsize=32)
def _augmenter(kind: str, n: int, min_chars: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import nlpaug.augmenter.char as nac

    common = dict(aug_word_min=n, aug_word_max=n, aug_word_p=1.0, min_char=min_chars, aug_char_min=1,
                  aug_char_max=1, aug_char_p=0.0, tokenizer=_tokenize, reverse_tokenizer=_detokenize,
                  stopwords_regex=_NOT_A_WORD)
    if kind == "typos":
        return nac.RandomCharAug(action="swap", swap_mode="adjacent", **common)
    if kind == "keyboard":
        return nac.KeyboardAug(include_special_char=False, include_numeric=False, include_upper_case=False,
                               **common)
    if kind == "ocr":
        return nac.OcrAug(**common)
    raise ValueError(kind)


def _action(aug, kind: str):
    return aug.swap if kind == "typos" else aug.substitute


def _apply(text: str, rng: random.Random, *, kind: str, n: int, samples: int, min_chars: int) -> list[str]:
    if not text.strip():
        return []
    aug = _augmenter(kind, n, min_chars)
    act = _action(aug, kind)
    outputs = []
    with _seeded_globals(rng):
        for _ in range(samples * 3):
            out = act(text)
            if out != text and out not in outputs:
                outputs.append(out)
            if len(outputs) >= samples:
                break
    return outputs


# kind -> what it does (the docstring of its factory).
KINDS = {
    "typos": "Swap two neighbouring characters in ``n`` different words (words of ``min_chars``+ letters).",
    "keyboard": "Replace one character in ``n`` words with a neighbouring key on a QWERTY keyboard.",
    "ocr": "Replace one character in ``n`` words with a look-alike OCR confusion (o -> 0, l -> 1, ...).",
}


def char_noise(kind: str, n: int = 1, *, samples: int = 1, min_chars: int = 3, seed: int = 0) -> Perturbation:
    """Character noise of one ``kind`` (``"typos"``, ``"keyboard"`` or ``"ocr"``) in ``n`` words.

    ``samples`` distinct outputs per text at most; words shorter than ``min_chars`` are left alone.
    The perturbation is named after its kind, so ``char_noise("typos")`` and ``typos()`` are the same.
    """
    if kind not in KINDS:
        raise ValueError(f"char_noise(): unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    if n < 1 or samples < 1:
        raise ValueError(f"{kind}(): n and samples must be >= 1, got n={n}, samples={samples}")
    return perturbation(kind, partial(_apply, kind=kind, n=n, samples=samples, min_chars=min_chars),
                        seed, n=n, samples=samples, min_chars=min_chars)


def _factory(kind: str) -> Callable[..., Perturbation]:
    def factory(n: int = 1, *, samples: int = 1, min_chars: int = 3, seed: int = 0) -> Perturbation:
        return char_noise(kind, n, samples=samples, min_chars=min_chars, seed=seed)

    factory.__name__ = factory.__qualname__ = kind
    factory.__doc__ = KINDS[kind]
    return factory


typos = _factory("typos")
keyboard = _factory("keyboard")
ocr = _factory("ocr")
