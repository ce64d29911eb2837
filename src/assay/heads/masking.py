"""Attention-head masking for BERT-family encoders through forward pre-hooks.

transformers 5 has no ``head_mask`` argument any more. assay masks heads by scaling the per-head
slices of the input of each layer's attention output projection: that input is the concatenation
of the heads' context vectors ``[..., n_heads * head_dim]``, so multiplying head ``h``'s slice by
``m`` is exactly the same as multiplying that head's attention probabilities by ``m`` (what
``head_mask`` used to do).

A mask is a ``[layers, heads]`` tensor (one mask for the whole batch), a ``[batch, layers, heads]``
tensor (one mask per batch row, so one forward pass evaluates many masks), or either of them with
``requires_grad=True`` (gradients flow to it: gradient-based head importance).

Hooks act on the model object, so masking is serialised per model: :func:`model_lock` is one
re-entrant lock per model, held for the whole of a ``mask_heads`` block and of every forward pass
assay runs (head checks, importance, the engine's ``predict_proba``). A second thread that uses the
same model through assay waits instead of seeing another thread's mask.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Iterator, cast

import torch
from torch import nn

from assay.engine.batching import model_lock as _engine_lock
from assay.errors import HeadMaskError, UnsupportedModelError

SUPPORTED_MODEL_TYPES = ("bert", "roberta", "electra", "distilbert")
"""The model types the layout is documented and tested for; any other model whose modules have the
same layout (XLM-RoBERTa, CamemBERT, DeBERTa-v2, ...) is masked too: the modules decide, not the name."""

# Where an encoder keeps its layers and, in each layer, the attention module (which knows its head
# count) and the attention output projection (whose input is the heads' concatenated context vectors).
_ENCODER_LAYOUTS = (
    ("encoder", ("attention", "self"), ("attention", "output", "dense")),  # BERT, RoBERTa, ELECTRA, XLM-R, ...
    ("transformer", ("attention",), ("attention", "out_lin")),  # DistilBERT
)
_WHAT_FITS = ("an encoder whose layers have an attention output projection that reads the heads' "
              "concatenated context vectors (encoder.layer[i].attention.output.dense or "
              "transformer.layer[i].attention.out_lin)")


@dataclass(frozen=True)
class _Layout:
    model_type: str
    projections: tuple[nn.Linear, ...]  # one attention output projection per layer
    n_heads: int
    stack: nn.Module  # the module whose ``.layer`` ModuleList runs the encoder layers in order
    entry: nn.Module  # the module whose output is the first layer's input (embeddings)

    @property
    def layers(self) -> nn.ModuleList:
        """The encoder layers the stack runs now (a sweep may have put a shorter list in place)."""
        return cast(nn.ModuleList, self.stack.layer)

    @property
    def n_layers(self) -> int:
        return len(self.projections)

    @property
    def head_dim(self) -> int:
        return self.projections[0].in_features // self.n_heads


def unwrap_model(model: object) -> nn.Module:
    """Accept a torch module or an adapter holding one in ``.model`` (such as HFClassifier)."""
    if isinstance(model, nn.Module):
        return model
    inner = getattr(model, "model", None)
    if isinstance(inner, nn.Module):
        return inner
    raise UnsupportedModelError(
        f"head masking needs a torch model, got {type(model).__name__}; pass a Hugging Face model or an object with .model"
    )


def model_lock(model: object) -> "threading.RLock":
    """The one re-entrant lock of ``model`` (a torch module, its encoder, or an object holding it in
    ``.model``): held while heads are masked and while assay runs the model, so threads sharing a model
    take turns. Hold it yourself around forward passes you run outside assay on a model that another
    thread masks."""
    return _engine_lock(unwrap_model(model))


def _path(module: nn.Module, names: tuple[str, ...]) -> object:
    found: object = module
    for name in names:
        found = getattr(found, name, None)
        if found is None:
            return None
    return found


def _heads_of(attention: object) -> int | None:
    for name in ("num_attention_heads", "n_heads", "num_heads"):
        value = getattr(attention, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _layout(model: object) -> _Layout:
    """The layers, heads and projections to hook, read from the model's modules (not its type name).

    Read under the model's lock: while another thread runs a sweep, its layer list is a shorter one."""
    with model_lock(model):
        return _read_layout(unwrap_model(model))


def _read_layout(module: nn.Module) -> _Layout:
    config = getattr(module, "config", None)
    model_type = getattr(config, "model_type", None) or type(module).__name__
    what = f"{type(module).__name__} (model type {model_type!r})"
    unsupported = f"; supported: {', '.join(SUPPORTED_MODEL_TYPES)} and models with their layout"
    base = getattr(module, "base_model", module)
    base = base if isinstance(base, nn.Module) else module
    for stack_name, attention_path, projection_path in _ENCODER_LAYOUTS:
        stack = getattr(base, stack_name, None)
        layers = getattr(stack, "layer", None)
        if not isinstance(stack, nn.Module) or not isinstance(layers, nn.ModuleList) or not len(layers):
            continue
        projections, heads = [], set()
        for index, layer in enumerate(layers):
            projection = _path(layer, projection_path)
            n_heads = _heads_of(_path(layer, attention_path))
            if not isinstance(projection, nn.Linear) or n_heads is None:
                raise UnsupportedModelError(
                    f"head masking cannot use {what}: layer {index} has no attention output projection "
                    f"({'.'.join(projection_path)}, a Linear) with a head count{unsupported}")
            attention = _path(layer, attention_path)
            head_size = getattr(attention, "attention_head_size", None)
            if projection.in_features % n_heads or (isinstance(head_size, int) and head_size * n_heads != projection.in_features):
                raise UnsupportedModelError(
                    f"head masking cannot use {what}: layer {index}'s attention output projection reads "
                    f"{projection.in_features} values, not {n_heads} heads of equal size{unsupported}")
            projections.append(projection)
            heads.add(n_heads)
        if len(heads) != 1:
            raise UnsupportedModelError(f"head masking cannot use {what}: its layers have different head counts "
                                        f"{sorted(heads)}{unsupported}")
        entry = getattr(base, "embeddings_project", None) or getattr(base, "embeddings", None)
        if not isinstance(entry, nn.Module):
            raise UnsupportedModelError(f"head masking cannot use {what}: it has no embeddings module{unsupported}")
        return _Layout(str(model_type), tuple(projections), heads.pop(), stack, entry)
    raise UnsupportedModelError(f"head masking does not support {what}: it has no encoder layers of the kind it needs, "
                                f"{_WHAT_FITS}{unsupported}")


def head_layout(model: object) -> tuple[int, int]:
    """``(n_layers, n_heads)`` of a supported encoder; raises UnsupportedModelError otherwise."""
    layout = _layout(model)
    return layout.n_layers, layout.n_heads


def model_device(module: nn.Module) -> torch.device:
    for parameter in module.parameters():
        return parameter.device
    return torch.device("cpu")


def check_mask(model: object, mask: torch.Tensor) -> torch.Tensor:
    """Validate ``mask`` against ``model`` and return it (bool masks become float32)."""
    layout = _layout(model)
    expected = (layout.n_layers, layout.n_heads)
    if not isinstance(mask, torch.Tensor):
        raise HeadMaskError(f"a head mask must be a torch.Tensor of shape {expected} or (batch, *{expected}), got {type(mask).__name__}")
    if mask.dim() not in (2, 3) or tuple(mask.shape[-2:]) != expected:
        raise HeadMaskError(
            f"head mask has shape {tuple(mask.shape)}; this model needs {expected} (layers, heads) or (batch, {expected[0]}, {expected[1]})"
        )
    if mask.dtype == torch.bool:
        mask = mask.float()
    if not mask.is_floating_point():
        raise HeadMaskError(f"head mask has dtype {mask.dtype}; use a floating-point (or bool) tensor, e.g. mask.float()")
    device = model_device(unwrap_model(model))
    if mask.device != device:
        raise HeadMaskError(f"head mask is on {mask.device} but the model is on {device}; move it with mask.to({str(device)!r})")
    if not mask.requires_grad and not bool(torch.isfinite(mask).all()):
        raise HeadMaskError("head mask contains NaN or infinite values; use finite scale factors (0 = head off, 1 = unchanged)")
    return mask


def _make_hook(layer_mask: torch.Tensor, n_heads: int, head_dim: int):
    """A pre-hook scaling the per-head slices of the projection input by ``layer_mask`` ([H] or [B, H])."""
    per_row = layer_mask.dim() == 2

    def hook(module: nn.Module, args: tuple):
        hidden = args[0]
        shape = hidden.shape
        scale = layer_mask if layer_mask.dtype == hidden.dtype else layer_mask.to(hidden.dtype)
        if per_row:
            if shape[0] != scale.shape[0]:
                raise HeadMaskError(
                    f"per-row head mask has {scale.shape[0]} rows but the batch has {shape[0]}; give one mask per batch row"
                )
            # [B, ..., H, D] * [B, 1..., H, 1]
            scale = scale.view(scale.shape[0], *([1] * (hidden.dim() - 2)), n_heads, 1)
        else:
            scale = scale.view(n_heads, 1)
        scaled = (hidden.view(*shape[:-1], n_heads, head_dim) * scale).view(shape)
        return (scaled, *args[1:])

    return hook


@contextlib.contextmanager
def mask_heads(model: object, mask: torch.Tensor) -> Iterator[None]:
    """Scale attention heads by ``mask`` for every forward pass inside the ``with`` block.

    Layers whose mask is all ones (and needs no gradient) get no hook at all. The hooks are removed
    when the block ends, also when it raises. The model's lock (:func:`model_lock`) is held for the
    whole block: other threads' assay forward passes on this model wait until it ends.
    """
    with model_lock(model):
        layout = _layout(model)
        mask = check_mask(model, mask)
        handles = []
        try:
            for index, projection in enumerate(layout.projections):
                layer_mask = mask[..., index, :]
                if not layer_mask.requires_grad and bool((layer_mask == 1).all()):
                    continue
                hook = _make_hook(layer_mask, layout.n_heads, layout.head_dim)
                handles.append(projection.register_forward_pre_hook(hook))
            yield
        finally:
            for handle in handles:
                handle.remove()


@contextlib.contextmanager
def capture_layer_inputs(model: object) -> Iterator[list]:
    """Record the hidden states entering each encoder layer during the forward passes in the block."""
    with model_lock(model):
        layout = _layout(model)
        states: list = [None] * layout.n_layers

        def recorder(index: int):
            def hook(module, args, kwargs):
                states[index] = args[0] if args else kwargs["hidden_states"]

            return hook

        handles = [layer.register_forward_pre_hook(recorder(i), with_kwargs=True) for i, layer in enumerate(layout.layers)]
        try:
            yield states
        finally:
            for handle in handles:
                handle.remove()


@contextlib.contextmanager
def start_at_layer(model: object, layer: int, hidden: torch.Tensor) -> Iterator[None]:
    """Run only layers ``layer..`` on ``hidden`` (the input of that layer) instead of the embeddings.

    The embeddings' output is replaced by ``hidden`` and the earlier layers are skipped; the rest of
    the model (attention-mask preparation, pooler, classifier) runs as usual on the batch given.
    """
    with model_lock(model):
        layout = _layout(model)
        original = layout.layers
        handle = layout.entry.register_forward_hook(lambda module, args, output: hidden)
        layout.stack.layer = nn.ModuleList(list(original)[layer:])
        try:
            yield
        finally:
            layout.stack.layer = original
            handle.remove()
