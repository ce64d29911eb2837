"""The ONNX Runtime backend: the engine's plain predictions through an exported graph, on the CPU, in float32.

What it covers: :meth:`HFClassifier.predict_proba` without a head mask and without hooks on the model
(every MFT / INV / DIR prediction of a suite). What it does not: head checks (masks are hooks on the
PyTorch modules), gradient importance and explanations (gradients, attentions), and predictions under
a head mask; those always run the PyTorch model (:mod:`assay.engine.classifier` picks the forward).

The graph is exported once per :func:`graph_key` with ``torch.onnx.export`` (TorchScript exporter,
opset :data:`OPSET`, dynamic batch and sequence axes; its output is ``softmax(logits.float())``) and
stored in ``<cache folder>/onnx/<key>/model.onnx``. The export runs under a file lock and is moved into
place with one rename, so concurrent pytest-xdist workers export it once and never read half a file.
Before it is used, every process checks the graph against the PyTorch model on probe inputs (padded
and unpadded, a pair, a long text): a difference above :data:`TOLERANCE` means the graph is not used.
A model the exporter cannot handle is remembered (``<key>.failed`` holds the reason) and predicted
with PyTorch, with one note in the report.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch

from assay.engine.batching import Batch, Encoded, TorchForward
from assay.engine.cache import default_cache_dir

OPSET = 17
OPTIMIZATION = "ORT_ENABLE_ALL"  # onnxruntime.GraphOptimizationLevel, applied when a session starts
TOLERANCE = 1e-5  # largest |ONNX - PyTorch| probability accepted on the probe inputs
EXPORT_FORMAT = 1  # bump when what is exported changes (wrapper, inputs, output)
GRAPH_FILE = "model.onnx"
LOCK_SECONDS = 900  # how long a process waits for another one's export

PROBE_TEXTS = (
    "",
    "a",
    "The flight was not good at all, and the crew was late again.",
    "great " * 3,
    " ".join(["the service on this long flight was slow but the seats were fine"] * 6),
)
PROBE_PAIRS = (("is the flight on time?", "the flight left an hour late"), ("", "x"))


class BackendUnavailable(Exception):
    """This model cannot run on ONNX Runtime here; the message says why, in one line."""


def versions() -> dict[str, str]:
    """The versions the exported graph and its numbers depend on."""
    import onnxruntime
    import transformers

    return {"onnxruntime": onnxruntime.__version__, "torch": torch.__version__, "transformers": transformers.__version__}


def graph_key(fingerprint: str, dtype: torch.dtype, input_names: Sequence[str], model_class: str,
              tool_versions: dict[str, str] | None = None) -> str:
    """sha256 over everything the graph depends on: the weights/tokenizer/config fingerprint, the dtype,
    the inputs, the model class, the opset, the optimisation level, the export format and the versions
    of onnxruntime, torch and transformers."""
    parts = {
        "fingerprint": fingerprint, "dtype": str(dtype).replace("torch.", ""), "inputs": list(input_names),
        "class": model_class, "opset": OPSET, "optimization": OPTIMIZATION, "format": EXPORT_FORMAT,
        **(tool_versions if tool_versions is not None else versions()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class _Probabilities(torch.nn.Module):
    """The model with the engine's output: ``softmax(logits.float())``, inputs by position."""

    def __init__(self, model: torch.nn.Module, input_names: Sequence[str]) -> None:
        super().__init__()
        self.model = model
        self.input_names = list(input_names)

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        logits = self.model(**dict(zip(self.input_names, tensors))).logits
        return torch.softmax(logits.float(), dim=-1)


def export_graph(model: torch.nn.Module, sample: dict[str, np.ndarray], target: Path) -> None:
    """Export ``model`` to ``target`` (an ONNX file; large weights go to files beside it).

    ``sample`` is one padded batch (a row with padding in it, so that the masking path is traced)."""
    names = list(sample)
    wrapper = _Probabilities(model, names).eval()
    args = tuple(torch.from_numpy(sample[name]) for name in names)
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["probs"] = {0: "batch"}
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapper, args, str(target), input_names=names, output_names=["probs"], dynamic_axes=axes,
                              opset_version=OPSET, do_constant_folding=True, dynamo=False)
    finally:
        model.eval()  # the exporter puts modules back in the mode it found them; the engine needs eval


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


class GraphStore:
    """Exported graphs in ``folder`` (``<cache folder>/onnx``), one sub-folder per :func:`graph_key`."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder).expanduser()

    def path(self, key: str) -> Path:
        return self.folder / key / GRAPH_FILE

    def failure(self, key: str) -> str | None:
        """Why an earlier export of ``key`` failed, or None."""
        try:
            return (self.folder / f"{key}.failed").read_text(encoding="utf-8").strip() or "the export failed"
        except OSError:
            return None

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        from filelock import FileLock, Timeout

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(self.folder / f"{key}.lock"), timeout=LOCK_SECONDS)
            lock.acquire()
        except Timeout:
            raise BackendUnavailable(f"another process held the export lock of {self.folder} for {LOCK_SECONDS} s") from None
        except OSError as error:
            raise BackendUnavailable(f"cannot write exported graphs to {self.folder} ({_one_line(error)})") from None
        try:
            yield
        finally:
            lock.release()

    def get(self, key: str, export: Any) -> Path:
        """The graph of ``key``; ``export(path)`` writes it when it is not stored yet (once across processes)."""
        final = self.path(key)
        if final.is_file():
            return final
        known = self.failure(key)
        if known:
            raise BackendUnavailable(known)
        with self._locked(key):
            if final.is_file():  # another process exported it while this one waited
                return final
            known = self.failure(key)
            if known:
                raise BackendUnavailable(known)
            try:
                scratch = Path(tempfile.mkdtemp(prefix=f".{key[:16]}-", dir=self.folder))
                scratch.chmod(0o755)  # like the folders around it (mkdtemp makes it private)
            except OSError as error:
                raise BackendUnavailable(f"cannot write exported graphs to {self.folder} ({_one_line(error)})") from None
            try:
                try:
                    export(scratch / GRAPH_FILE)
                except OSError as error:
                    raise BackendUnavailable(f"cannot write the exported graph to {self.folder} ({_one_line(error)})") from None
                except Exception as error:  # the exporter fails in many ways; each one means "not this model"
                    reason = f"the ONNX export failed ({_one_line(error)})"
                    self._write_failure(key, reason)
                    raise BackendUnavailable(reason) from None
                shutil.rmtree(final.parent, ignore_errors=True)  # what an interrupted rename may have left
                os.replace(scratch, final.parent)  # one rename: readers see the whole folder or none
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return final

    def _write_failure(self, key: str, reason: str) -> None:
        with contextlib.suppress(OSError):
            partial = self.folder / f".{key}.failed.{os.getpid()}"
            partial.write_text(reason + "\n", encoding="utf-8")
            os.replace(partial, self.folder / f"{key}.failed")


class OnnxForward:
    """``forward(batch) -> probabilities`` through an ONNX Runtime session on the CPU."""

    name = "onnx"

    def __init__(self, path: str | os.PathLike, input_names: Sequence[str], threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = getattr(onnxruntime.GraphOptimizationLevel, OPTIMIZATION)
        options.log_severity_level = 3  # errors only
        self.path = Path(path)
        self.input_names = list(input_names)
        self.threads = options.intra_op_num_threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["probs"], {name: arrays[name] for name in self.input_names})[0]

    def __call__(self, batch: Batch) -> np.ndarray:
        return self.run(batch.arrays())


def probe_batches(encoded: Encoded) -> list[Batch]:
    """All probe inputs in one padded batch, then the longest and the shortest alone (other shapes)."""
    everything = np.arange(len(encoded))
    longest = int(np.argmax(encoded.lengths))
    shortest = int(np.argmin(encoded.lengths))
    return [Batch(everything, encoded), Batch(np.array([longest]), encoded), Batch(np.array([shortest]), encoded)]


def largest_difference(forward: Any, reference: Any, batches: Sequence[Batch]) -> float:
    """max |forward - reference| over the batches (inf when the shapes differ or a value is not finite)."""
    worst = 0.0
    for batch in batches:
        ours, theirs = np.asarray(forward(batch), dtype=np.float64), np.asarray(reference(batch), dtype=np.float64)
        if ours.shape != theirs.shape or not np.isfinite(ours).all():
            return float("inf")
        worst = max(worst, float(np.abs(ours - theirs).max(initial=0.0)))
    return worst


def graph_folder(cache_dir: str | os.PathLike | None | bool, export_dir: str | os.PathLike | None = None) -> Path:
    """Where exported graphs live: ``export_dir`` when given, else ``onnx/`` in the prediction cache's
    folder. A graph is a pure function of its key, so it is kept also when the prediction cache is off
    (``cache_dir=False``: the default cache folder)."""
    if export_dir is not None:
        return Path(export_dir).expanduser()
    base = Path(cache_dir).expanduser() if isinstance(cache_dir, (str, os.PathLike)) else default_cache_dir()
    return base / "onnx"


def use_onnx(classifier: Any, folder: str | os.PathLike) -> bool:
    """Run ``classifier``'s plain predictions on ONNX Runtime, with graphs kept in ``folder``; when this
    model cannot, keep PyTorch and say why in one note. Returns whether ONNX Runtime is used."""
    try:
        forward = onnx_forward(classifier, folder, torch.get_num_threads())
    except BackendUnavailable as error:
        classifier.notes.append(f"plain predictions run on PyTorch, not ONNX Runtime: {error}")
        return False
    classifier.set_backend(forward, forward.name)
    return True


def onnx_forward(classifier: Any, folder: str | os.PathLike, threads: int) -> OnnxForward:
    """The checked ONNX Runtime forward of a loaded :class:`HFClassifier` (CPU, float32).

    Raises :class:`BackendUnavailable` when the graph cannot be exported, stored or loaded, or when it
    disagrees with the PyTorch model by more than :data:`TOLERANCE` on the probe inputs."""
    model = classifier.model
    probes = classifier.encode([*PROBE_TEXTS, *PROBE_PAIRS])
    sample = probe_batches(probes)[0].arrays()
    names = list(sample)
    key = graph_key(classifier.fingerprint, classifier.dtype, names, type(model).__name__)
    store = GraphStore(folder)
    path = store.get(key, lambda target: export_graph(model, sample, target))
    try:
        forward = OnnxForward(path, names, threads)
    except Exception as error:  # onnxruntime raises its own exception types
        raise BackendUnavailable(f"ONNX Runtime cannot load the exported graph {path} ({_one_line(error)})") from None
    difference = largest_difference(forward, TorchForward(model, classifier.device), probe_batches(probes))
    if not difference <= TOLERANCE:
        raise BackendUnavailable(f"the exported graph differs from the PyTorch model by {difference:.1e} "
                                 f"(more than {TOLERANCE:g}) on probe inputs")
    return forward
