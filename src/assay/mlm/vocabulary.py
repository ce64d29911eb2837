"""Which tokens of a masked LM's vocabulary can fill a ``{mask}`` as a whole word, and how they read.

A fill-in is one token that starts a word and decodes to letters or digits. Whether a token starts a
word depends on the tokenizer and on what precedes the mask: WordPiece (BERT) marks word pieces that
continue a word with ``##``; byte-level BPE (RoBERTa, ``Ġword``) and SentencePiece (``▁word``) mark
the words that follow a space. The markers are read from the tokenizer itself by tokenizing a probe
word, so any Hugging Face tokenizer works without a table of model families.
"""

from __future__ import annotations

from typing import Any

import numpy as np

KINDS = ("start", "space", "glued")  # mask at the start of a text, after whitespace, right after a character
PROBE = "the"


def position_kind(text: str, index: int) -> str:
    """Where the mask at character ``index`` of ``text`` stands: start, space or glued."""
    before = text[:index]
    if not before.strip():
        return "start"
    return "space" if before[-1].isspace() else "glued"


def _marker(tokens: list[str]) -> str:
    """The prefix a tokenizer puts before the probe word (``Ġ``, ``▁`` or nothing)."""
    last = tokens[-1] if tokens else ""
    return last[: -len(PROBE)] if last.lower().endswith(PROBE) else ""


class Vocabulary:
    """Word fill-ins per position kind: a boolean mask over token ids and each token's word."""

    def __init__(self, tokenizer: Any, size: int) -> None:
        self.size = size
        ids = list(range(size))
        tokens = [str(t) if t is not None else "" for t in tokenizer.convert_ids_to_tokens(ids)]
        words = [w.strip() for w in tokenizer.batch_decode([[i] for i in ids])]
        special = set(tokenizer.all_special_ids)
        is_word = np.array(
            [i not in special and bool(w) and not any(c.isspace() for c in w) and any(c.isalnum() for c in w)
             for i, w in enumerate(words)], dtype=bool)
        start_marker = _marker(tokenizer.tokenize(PROBE))
        space_marker = _marker(tokenizer.tokenize(f"a {PROBE}"))
        backend = getattr(getattr(tokenizer, "backend_tokenizer", None), "model", None)
        continuation = getattr(backend, "continuing_subword_prefix", None) or ""
        if not continuation and any(t.startswith("##") for t in tokens):
            continuation = "##"
        self.words = words
        self.allowed = {kind: is_word & self._marked(tokens, marker, (start_marker, space_marker), continuation)
                        for kind, marker in (("start", start_marker), ("space", space_marker), ("glued", ""))}

    @staticmethod
    def _marked(tokens: list[str], marker: str, markers: tuple[str, str], continuation: str) -> np.ndarray:
        if marker:
            return np.array([t.startswith(marker) for t in tokens], dtype=bool)
        others = tuple(m for m in (*markers, continuation) if m)
        return np.array([not (others and t.startswith(others)) for t in tokens], dtype=bool)

    def word(self, token_id: int) -> str:
        return self.words[token_id]


def single_token(tokenizer: Any, word: str, kind: str) -> int | None:
    """The id of the one token that spells ``word`` at a mask of this kind, or None (several tokens)."""
    prefix = {"start": "", "space": "a ", "glued": "("}[kind]
    tokens = tokenizer.tokenize(prefix + word)
    head = len(tokenizer.tokenize(prefix.rstrip())) if prefix else 0
    rest = tokens[head:]
    if len(rest) != 1:
        return None
    token_id = tokenizer.convert_tokens_to_ids(rest[0])
    return None if token_id is None or token_id == tokenizer.unk_token_id else int(token_id)
