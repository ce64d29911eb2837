"""Tiny real checkpoints (BERT, DistilBERT, RoBERTa) saved as safetensors, shared by the engine tests.

Also two tiny fill-mask models (BERT with ``[MASK]``, RoBERTa with ``<mask>``) whose best fill-ins are
known: their output bias puts :data:`FAVOURITES` first, in that order, wherever the mask is.

Import the fixtures from here: ``from test_engine_fixtures import bert_dir, reference_probs``.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_MODEL = SHARED / "models" / "minilm-airline-sentiment"
SHARED_TWEETS = SHARED / "data" / "airline" / "tweets.tsv"

WORDS = (
    "the flight was great good bad terrible not very seat crew delay late food service plane "
    "airline and but i my it is on time never again love hate"
).split()
WORDPIECE = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *"abcdefghijklmnopqrstuvwxyz",
             *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"), ".", ",", "!", "?"]
CORPUS = [
    "the flight was great", "the crew was not very good", "bad food, terrible delay!",
    "i love my seat", "never again on this airline", "the plane was late but the service was good",
]
TEXTS = [
    "the flight was great", "bad food", "", "the crew was not very good at all!", "late", "i hate it",
    "the plane was late but the service was good and the food was great", "x", "never again", "on time",
]
PAIRS = [("the flight", "was great"), ("bad", "food"), ("", "late"), ("the crew", ""), ("good", "good")]


def wordpiece_vocab() -> dict[str, int]:
    return {token: i for i, token in enumerate(WORDPIECE)}


def _spread_weights(model: torch.nn.Module, seed: int) -> None:
    """Re-initialise with a wide spread so that different inputs get clearly different outputs."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)


def save_bert(folder: Path, *, num_labels: int = 3, id2label: dict[int, str] | None = None, seed: int = 0,
              max_positions: int = 64, dtype: torch.dtype | None = None) -> Path:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    id2label = id2label if id2label is not None else {0: "negative", 1: "neutral", 2: "positive"}
    config = BertConfig(vocab_size=len(WORDPIECE) + 7, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, num_labels=num_labels, max_position_embeddings=max_positions,
                        id2label=id2label, label2id={v: k for k, v in id2label.items()})
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    _spread_weights(model, seed)
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(folder)
    BertTokenizer(vocab=wordpiece_vocab(), model_max_length=512).save_pretrained(folder)
    return folder


def save_distilbert(folder: Path, seed: int = 1) -> Path:
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizer

    config = DistilBertConfig(vocab_size=len(WORDPIECE), dim=32, n_layers=2, n_heads=4, hidden_dim=37,
                              num_labels=2, max_position_embeddings=64)
    torch.manual_seed(seed)
    model = DistilBertForSequenceClassification(config).eval()
    _spread_weights(model, seed)
    model.save_pretrained(folder)
    DistilBertTokenizer(vocab=wordpiece_vocab(), model_max_length=512).save_pretrained(folder)
    return folder


def bpe_tokenizer(folder: Path, vocab_size: int = 300):
    """A RoBERTa tokenizer trained on CORPUS (``vocab_size=400`` makes every CORPUS word one token)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 5, vocab_size=vocab_size, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = bpe.save_model(str(folder))
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=512)
    Path(vocab).unlink()
    Path(merges).unlink()
    return tokenizer


def _roberta_config(tokenizer, max_positions: int = 66, **kwargs):
    from transformers import RobertaConfig

    return RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=37, max_position_embeddings=max_positions, pad_token_id=1, bos_token_id=0,
                         eos_token_id=2, type_vocab_size=1, **kwargs)


def save_roberta(folder: Path, seed: int = 2) -> Path:
    from transformers import RobertaForSequenceClassification

    tokenizer = bpe_tokenizer(folder)
    config = _roberta_config(tokenizer, num_labels=2, id2label={0: "negative", 1: "positive"},
                             label2id={"negative": 0, "positive": 1})
    torch.manual_seed(seed)
    model = RobertaForSequenceClassification(config).eval()
    _spread_weights(model, seed)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def pickle_only_copy(folder: Path, target: Path) -> Path:
    """A copy of a saved checkpoint whose weights are only ``pytorch_model.bin`` (a pickle we wrote ourselves)."""
    import shutil

    from safetensors.torch import load_file

    shutil.copytree(folder, target)
    torch.save(load_file(target / "model.safetensors"), target / "pytorch_model.bin")
    (target / "model.safetensors").unlink()
    return target


# The tiny fill-mask models' best whole-word fill-ins, best first: their output bias (far above the
# spread of the random weights) puts these words on top at every mask.
FAVOURITES = {"great": 40.0, "airline": 30.0, "good": 20.0, "seat": 10.0}


def save_mlm(folder: Path, style: str = "bert", seed: int = 3) -> Path:
    """A tiny BertForMaskedLM (``[MASK]``) or RobertaForMaskedLM (``<mask>``) with known best fill-ins."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer, RobertaForMaskedLM

    if style == "bert":
        tokenizer = BertTokenizer(vocab=wordpiece_vocab(), model_max_length=512)
        config = BertConfig(vocab_size=len(WORDPIECE), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=37, max_position_embeddings=256, tie_word_embeddings=False)
        model_class, prefix = BertForMaskedLM, ""
    else:
        tokenizer = bpe_tokenizer(folder, vocab_size=400)
        config = _roberta_config(tokenizer, max_positions=258, tie_word_embeddings=False)
        model_class, prefix = RobertaForMaskedLM, "\u0120"  # byte-level BPE marks a word after a space with "Ġ"
    torch.manual_seed(seed)
    model = model_class(config).eval()
    _spread_weights(model, seed)
    bias = torch.zeros(config.vocab_size)
    for word, value in FAVOURITES.items():
        bias[tokenizer.convert_tokens_to_ids(prefix + word)] = value
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("predictions.bias", "decoder.bias", "lm_head.bias")):
                param.copy_(bias)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def reference_probs(folder: Path, inputs: list, max_length: int | None = None) -> np.ndarray:
    """Plain transformers, one input at a time (no padding, no batching): the ground truth."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32).eval()
    rows = []
    kwargs = {"truncation": "longest_first", "max_length": max_length} if max_length else {}
    with torch.no_grad():
        for item in inputs:
            # Lists even for one pair: a bare empty string as text_pair would be dropped by transformers.
            args = ([item[0]], [item[1]]) if isinstance(item, tuple) else ([item],)
            encoded = tokenizer(*args, return_tensors="pt", **kwargs)
            if "token_type_ids" in encoded and "token_type_ids" not in inspect.signature(model.forward).parameters:
                del encoded["token_type_ids"]
            rows.append(torch.softmax(model(**encoded).logits.float(), -1)[0].numpy())
    return np.asarray(rows, dtype=np.float64)


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory) -> Path:
    return save_bert(tmp_path_factory.mktemp("bert") / "tiny-bert")


@pytest.fixture(scope="session")
def distilbert_dir(tmp_path_factory) -> Path:
    return save_distilbert(tmp_path_factory.mktemp("distilbert") / "tiny-distilbert")


@pytest.fixture(scope="session")
def roberta_dir(tmp_path_factory) -> Path:
    return save_roberta(tmp_path_factory.mktemp("roberta") / "tiny-roberta")


@pytest.fixture(scope="session")
def bert_mlm_dir(tmp_path_factory) -> Path:
    return save_mlm(tmp_path_factory.mktemp("mlm") / "tiny-bert-mlm", "bert")


@pytest.fixture(scope="session")
def roberta_mlm_dir(tmp_path_factory) -> Path:
    return save_mlm(tmp_path_factory.mktemp("mlm") / "tiny-roberta-mlm", "roberta")


@pytest.fixture(scope="session")
def bert_reference(bert_dir) -> dict:
    """Ground-truth probabilities for every text and pair the tests use."""
    inputs = TEXTS + PAIRS
    return dict(zip(inputs, reference_probs(bert_dir, inputs)))


def test_tiny_checkpoints_are_safetensors(bert_dir, distilbert_dir, roberta_dir):
    for folder in (bert_dir, distilbert_dir, roberta_dir):
        assert (folder / "model.safetensors").exists()
        assert not list(folder.glob("*.bin"))
        assert (folder / "tokenizer.json").exists()
