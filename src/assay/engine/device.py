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
    """The command-line check of a device or dtype name, as a ModelLoadError for Python callers."""
    try:
        return parse(text)
    except argparse.ArgumentTypeError as error:
        raise ModelLoadError(str(error)) from None


def default_batch_size(device: torch.device) -> int:
    return DEFAULT_BATCH_SIZE.get(device.type, 64)


def accelerate_installed() -> bool:
    return importlib.util.find_spec("accelerate") is not None


def needs_device_map(weight_bytes: int, free_gpu_bytes: int, headroom: float = 0.8) -> bool:
    """True when the weights will not fit comfortably on one GPU and must be split with accelerate."""
    return weight_bytes > headroom * free_gpu_bytes


def free_gpu_bytes(device: torch.device) -> int:
    free, _total = torch.cuda.mem_get_info(device)
    return int(free)


def threads_per_worker(cpu_count: int, worker_count: int) -> int:
    """CPU threads each of ``worker_count`` processes should use so that they do not oversubscribe."""
    return max(1, cpu_count // max(1, worker_count))


def limit_threads_under_xdist() -> int | None:
    """Under pytest-xdist, give each worker its share of the cores (unless OMP_NUM_THREADS is set).

    Every worker process would otherwise start one torch thread per core; on a CPU that makes the
    workers fight over cores and halves throughput. Returns the thread count set, or None.
    """
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not count or not count.isdigit() or os.environ.get("OMP_NUM_THREADS"):
        return None
    threads = threads_per_worker(os.cpu_count() or 1, int(count))
    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)
    return threads
