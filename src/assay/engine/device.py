"""Device, dtype and batch-size choices for the model engine.

Device strings: ``auto`` (CUDA, else Apple MPS, else CPU), ``cpu``, ``cuda``, ``cuda:N``, ``mps`` and
``cuda:auto`` (one GPU per pytest-xdist worker: worker ``gwN`` gets ``cuda:N % number_of_gpus``).
Dtype strings: ``auto`` (half precision on a GPU, float32 on the CPU), ``float32``, ``float16``,
``bfloat16``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re

import torch

from assay import _validate as valid
from assay.errors import ModelLoadError
from assay.options import PYTHON, Flags

DEVICE_CHOICES = valid.DEVICE_CHOICES
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# Default batch sizes by device type, measured with benchmarks/engine.py (docs/performance.md).
DEFAULT_BATCH_SIZE = {"cpu": 32, "cuda": 256, "mps": 64}


def xdist_worker_index(worker: str | None) -> int:
    """The number in a pytest-xdist worker id (``gw3`` -> 3); 0 outside xdist."""
    if not worker:
        return 0
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) if match else 0


def worker_gpu(worker: str | None, gpu_count: int, flags: Flags = PYTHON) -> str:
    """The GPU a pytest-xdist worker should use: ``gw0`` -> ``cuda:0``, ``gw1`` -> ``cuda:1``, ...

    Workers beyond the number of GPUs wrap around (``gw4`` on 4 GPUs -> ``cuda:0``).
    """
    if gpu_count < 1:
        raise ModelLoadError(f"device 'cuda:auto' needs a CUDA GPU but none is available; use {flags.setting('device', 'cpu')}")
    return f"cuda:{xdist_worker_index(worker) % gpu_count}"


def resolve_device(device: str | torch.device | None = "auto", flags: Flags = PYTHON) -> torch.device:
    """Turn a device string into a torch.device, checking that the hardware is there. Errors name the
    fix as the caller spells it (``flags``, see :class:`assay.options.Flags`)."""
    if isinstance(device, torch.device):
        device = str(device)
    spec = _checked(valid.device, device or "auto")
    use_cpu = f"use {flags.setting('device', 'cpu')} or auto"
    cuda_ok = torch.cuda.is_available()
    mps_ok = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if spec == "auto":
        if cuda_ok:
            return torch.device("cuda", 0)
        return torch.device("mps") if mps_ok else torch.device("cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not mps_ok:
            raise ModelLoadError(f"device 'mps' is not available on this machine; {use_cpu}")
        return torch.device("mps")
    match = valid.DEVICE_PATTERN.fullmatch(spec)
    assert match is not None  # _checked accepted it
    if not cuda_ok:
        raise ModelLoadError(f"device {device!r} needs CUDA, which is not available here; {use_cpu}")
    count = torch.cuda.device_count()
    index = match.group(1)
    if index == "auto":
        return torch.device(worker_gpu(os.environ.get("PYTEST_XDIST_WORKER"), count, flags))
    number = int(index or 0)
    if number >= count:
        raise ModelLoadError(f"device {device!r} does not exist: this machine has {count} GPU(s); use cuda:0 .. cuda:{count - 1}")
    return torch.device("cuda", number)


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device, checkpoint_dtype: str | None = None) -> torch.dtype:
    """The dtype to run in. ``auto``: float32 on CPU; on a GPU the checkpoint's half type, else float16."""
    if isinstance(dtype, torch.dtype):
        return dtype
    spec = _checked(valid.dtype, dtype or "auto")
    if spec != "auto":
        return DTYPES[spec]
    if device.type == "cpu":
        return torch.float32
    if checkpoint_dtype in ("float16", "bfloat16"):
        return DTYPES[checkpoint_dtype]
    return torch.float16


def _checked(parse, text: str) -> str:
    """The command-line check of a device, dtype or backend name, as a ModelLoadError for Python callers."""
    try:
        return parse(text)
    except argparse.ArgumentTypeError as error:
        raise ModelLoadError(str(error)) from None


def default_batch_size(device: torch.device) -> int:
    return DEFAULT_BATCH_SIZE.get(device.type, 64)


def accelerate_installed() -> bool:
    return importlib.util.find_spec("accelerate") is not None


def onnx_runtime_installed() -> bool:
    """Whether onnxruntime and onnx (which ``torch.onnx.export`` needs) are importable: ``assay[onnx]``."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


# Whether ``auto`` takes ONNX Runtime where it applies. Measured with benchmarks/engine.py and
# benchmarks/suite_backends.py (docs/performance.md) on the shared model, idle 2-core machine: ONNX
# Runtime did 0.98x (engine, one thread) to 1.08x (whole suite, two threads) PyTorch's work per
# CPU-second: not enough to pay for an export and a second copy of the weights, so it is opt-in.
AUTO_TAKES_ONNX = False


def resolve_backend(backend: str | None, device: torch.device, dtype: torch.dtype, flags: Flags = PYTHON) -> str:
    """``torch`` or ``onnx``: how this model's plain predictions run.

    ``onnx`` (ONNX Runtime) applies on the CPU in float32 with ``assay[onnx]`` installed; an explicit
    ``onnx`` where it does not apply is a ModelLoadError naming the fix the caller's way. ``auto`` is
    PyTorch unless :data:`AUTO_TAKES_ONNX` (the measured choice), and then ONNX Runtime where it applies.
    """
    choice = _checked(valid.backend, backend or "auto")
    if choice == "torch" or (choice == "auto" and not AUTO_TAKES_ONNX):
        return "torch"
    torch_instead = flags.setting("backend", "torch")
    if device.type != "cpu":
        problem, fix = f"ONNX Runtime runs here on the CPU only, not on {device}", f"use {flags.setting('device', 'cpu')} or {torch_instead}"
    elif dtype != torch.float32:
        problem, fix = (f"ONNX Runtime runs in float32 only, not {str(dtype).replace('torch.', '')}",
                        f"use {flags.setting('dtype', 'float32')} or {torch_instead}")
    elif not onnx_runtime_installed():
        problem, fix = "onnxruntime and onnx are not installed", f"pip install 'assay[onnx]' or use {torch_instead}"
    else:
        return "onnx"
    if choice == "onnx":
        raise ModelLoadError(f"{flags.setting('backend', 'onnx')}: {problem}; {fix}")
    return "torch"


def needs_device_map(weight_bytes: int, free_gpu_bytes: int, headroom: float = 0.8) -> bool:
    """True when the weights will not fit comfortably on one GPU and must be split with accelerate."""
    return weight_bytes > headroom * free_gpu_bytes


def free_gpu_bytes(device: torch.device) -> int:
    free, _total = torch.cuda.mem_get_info(device)
    return int(free)


def threads_per_worker(cpu_count: int, worker_count: int) -> int:
    """CPU threads each of ``worker_count`` processes should use so that they do not oversubscribe."""
    return max(1, cpu_count // max(1, worker_count))


def available_cores() -> int:
    """The CPUs this process may use: the machine's, less what its CPU affinity and a cgroup CPU quota
    (a container's ``cpu.max`` or ``cpu.cfs_quota_us``) take away; at least 1 (joblib counts them)."""
    from joblib import cpu_count

    return max(1, int(cpu_count()))


def xdist_workers() -> int:
    """How many pytest-xdist workers share the machine (1 outside xdist)."""
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    return max(1, int(count)) if count.isdigit() else 1


def limit_threads() -> int | None:
    """Give this process its share of the available cores for torch and ONNX Runtime.

    torch starts one thread per physical core of the machine, whatever a container's CPU quota or the
    process's affinity allow, and every pytest-xdist worker does the same: N workers on C cores would
    run N x C threads and fight over the cores (measured: docs/performance.md). The share is
    ``available_cores() // xdist_workers()``, at least 1; it only ever lowers torch's count. Nothing is
    changed when ``OMP_NUM_THREADS`` is set (the user chose). Returns the thread count set, or None.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    threads = threads_per_worker(available_cores(), xdist_workers())
    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)
    return threads
