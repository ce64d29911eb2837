"""Choosing the prediction backend and the CPU threads (no ONNX Runtime needed)."""

from __future__ import annotations

import os

import pytest
import torch

from assay.engine import device as devices
from assay.engine import load_model
from assay.errors import ModelLoadError
from assay.options import PYTHON, Flags
from test_engine_fixtures import bert_dir  # noqa: F401  (fixture)

CPU, CUDA = torch.device("cpu"), torch.device("cuda", 0)
PYTEST = Flags("assay-", "--assay-model")


def test_torch_is_always_torch_and_auto_follows_the_measured_choice(monkeypatch):
    assert devices.resolve_backend("torch", CPU, torch.float32) == "torch"
    assert devices.resolve_backend("auto", CPU, torch.float32) == ("onnx" if devices.AUTO_TAKES_ONNX and devices.onnx_runtime_installed() else "torch")
    monkeypatch.setattr(devices, "AUTO_TAKES_ONNX", True)
    monkeypatch.setattr(devices, "onnx_runtime_installed", lambda: True)
    assert devices.resolve_backend("auto", CPU, torch.float32) == "onnx"
    assert devices.resolve_backend(" ONNX ", CPU, torch.float32) == "onnx"
    # Where ONNX Runtime does not apply, auto quietly stays on PyTorch.
    assert devices.resolve_backend("auto", CUDA, torch.float16) == "torch"
    assert devices.resolve_backend("auto", CPU, torch.bfloat16) == "torch"
    monkeypatch.setattr(devices, "onnx_runtime_installed", lambda: False)
    assert devices.resolve_backend("auto", CPU, torch.float32) == "torch"


@pytest.mark.parametrize("flags, device, dtype, installed, message", [
    (PYTEST, CUDA, torch.float16, True,
     "--assay-backend onnx: ONNX Runtime runs here on the CPU only, not on cuda:0; use --assay-device cpu or --assay-backend torch"),
    (PYTHON, CPU, torch.bfloat16, True,
     "backend='onnx': ONNX Runtime runs in float32 only, not bfloat16; use dtype='float32' or backend='torch'"),
    (Flags("", "MODEL"), CPU, torch.float32, False,
     "--backend onnx: onnxruntime and onnx are not installed; pip install 'assay[onnx]' or use --backend torch"),
])
def test_asking_for_onnx_where_it_cannot_run_names_the_fix(monkeypatch, flags, device, dtype, installed, message):
    monkeypatch.setattr(devices, "onnx_runtime_installed", lambda: installed)
    with pytest.raises(ModelLoadError) as error:
        devices.resolve_backend("onnx", device, dtype, flags)
    assert str(error.value) == message


def test_an_unknown_backend_is_refused_before_the_weights_load(bert_dir):
    with pytest.raises(ModelLoadError, match=r"^unknown backend 'tpu'; use auto, torch or onnx$"):
        load_model(str(bert_dir), cache_dir=False, backend="tpu")


def test_onnx_without_onnxruntime_is_one_line_error(monkeypatch, bert_dir):
    monkeypatch.setattr(devices, "onnx_runtime_installed", lambda: False)
    with pytest.raises(ModelLoadError, match=r"pip install 'assay\[onnx\]' or use backend='torch'$"):
        load_model(str(bert_dir), cache_dir=False, backend="onnx")


# -- threads ------------------------------------------------------------------------------------

@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity (Linux)")
def test_available_cores_follow_the_cpu_affinity(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert devices.available_cores() == 1


def test_each_process_gets_its_share_of_the_available_cores(monkeypatch, restore_threads):
    assert devices.threads_per_worker(16, 4) == 4 and devices.threads_per_worker(2, 4) == 1
    assert devices.threads_per_worker(8, 0) == 8
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(devices, "available_cores", lambda: 8)
    torch.set_num_threads(8)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    assert devices.xdist_workers() == 3
    assert devices.limit_threads() == 2 and torch.get_num_threads() == 2
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1000")
    assert devices.limit_threads() == 1 and torch.get_num_threads() == 1
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT")
    assert devices.xdist_workers() == 1
    assert devices.limit_threads() == 8 and torch.get_num_threads() == 1  # it only ever lowers the count
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert devices.limit_threads() is None  # the user chose


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity (Linux)")
def test_loading_a_model_outside_xdist_respects_a_one_core_limit(monkeypatch, restore_threads, bert_dir):
    """It used to keep torch's one thread per core of the machine when the process may use fewer
    (a container's CPU quota, taskset): two threads fighting over one core."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    torch.set_num_threads(2)
    load_model(str(bert_dir), cache_dir=False)
    assert torch.get_num_threads() == 1
