"""Options shared by the pytest plugin and the ``assay`` commands, defined once.

``add_engine_options(addoption, prefix)`` defines how a model is loaded, ``add_backend_option`` how
its plain predictions run (the plugin only), and
``add_comparison_options(addoption, prefix)`` the thresholds of a baseline comparison, in the
pattern of pytest-benchmark's ``add_display_options``: the plugin passes its option group and
``prefix="assay-"`` (``--assay-device``), a command passes its argparse parser and no prefix
(``assay heads --device``). The values are checked at parse time by :mod:`assay._validate`.

:class:`Flags` says how a caller spells those settings, so that an error from the engine names the
fix in the caller's own terms (``--assay-allow-pickle`` under pytest, ``--allow-pickle`` for a
command, ``allow_pickle=True`` in Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from assay import _validate as valid

AddOption = Callable[..., Any]


@dataclass(frozen=True)
class Flags:
    """How the caller of :func:`assay.engine.load_model` spells its settings.

    ``prefix=None``: Python keywords (``allow_pickle=True``); ``""`` or ``"assay-"``: command-line
    options (``--allow-pickle`` / ``--assay-allow-pickle``). ``model`` says where the model was named.
    """

    prefix: str | None = None
    model: str = "load_model's source"

    def name(self, setting: str) -> str:
        """``batch_size`` -> ``batch_size`` in Python, ``--assay-batch-size`` under pytest."""
        return setting if self.prefix is None else f"--{self.prefix}{setting.replace('_', '-')}"

    def switch(self, setting: str) -> str:
        """How to turn a boolean setting on: ``allow_pickle=True`` or ``--assay-allow-pickle``."""
        return f"{setting}=True" if self.prefix is None else self.name(setting)

    def setting(self, setting: str, value: str) -> str:
        """How to set a value: ``device='cpu'`` or ``--assay-device cpu``."""
        return f"{setting}={value!r}" if self.prefix is None else f"{self.name(setting)} {value}"


PYTHON = Flags()


def add_engine_options(addoption: AddOption, prefix: str = "") -> None:
    """Where and how the model runs, and which unsafe checkpoints may be loaded."""
    addoption(f"--{prefix}device", default="auto", type=valid.device, metavar="DEVICE",
              help=f"{valid.DEVICE_CHOICES} (default auto)")
    addoption(f"--{prefix}dtype", default="auto", type=valid.dtype, metavar="DTYPE",
              help=f"{', '.join(valid.DTYPE_CHOICES)} (default auto: float32 on the CPU, half precision on a GPU)")
    addoption(f"--{prefix}batch-size", default=None, type=valid.POSITIVE_INT, metavar="N",
              help="inputs per forward pass, a positive integer (default: chosen by device)")
    addoption(f"--{prefix}allow-pickle", action="store_true",
              help="allow loading pickle (.bin) checkpoints, which can run code: only for files you trust")
    addoption(f"--{prefix}trust-remote-code", action="store_true",
              help="allow model code shipped with a checkpoint to run: only for checkpoints you trust")


def add_backend_option(addoption: AddOption, prefix: str = "") -> None:
    """How plain predictions run (the plugin; the commands run PyTorch: they mask heads, take gradients)."""
    addoption(f"--{prefix}backend", default="auto", type=valid.backend, metavar="BACKEND",
              help="how plain predictions run: torch, onnx (ONNX Runtime on the CPU in float32; needs assay[onnx]) "
                   "or auto (the measured choice: torch today, see docs/performance.md); head checks and "
                   "explanations always run PyTorch (default auto)")


def add_comparison_options(addoption: AddOption, prefix: str = "") -> None:
    """The thresholds of a comparison with a baseline report (pytest and ``assay compare``)."""
    addoption(f"--{prefix}max-regression", default=0.02, type=valid.MAX_REGRESSION, metavar="RATE",
              help="largest rise in failure rate tolerated, a fraction in [0, 1) (default 0.02 = 2 points)")
    addoption(f"--{prefix}alpha", default=0.05, type=valid.ALPHA, metavar="P",
              help="significance level of the exact McNemar test, in (0, 1) (default 0.05)")
    addoption(f"--{prefix}allow-incomplete", action="store_true",
              help="use a report whose run did not finish (interrupted, stopped by -x, killed) anyway: "
                   "it lacks tests, so by default it is refused")


@dataclass(frozen=True)
class EngineOptions:
    """The parsed engine options, ready to hand to :func:`assay.engine.load_model`."""

    device: str = "auto"
    dtype: str = "auto"
    batch_size: int | None = None
    allow_pickle: bool = False
    trust_remote_code: bool = False
    flags: Flags = field(default=PYTHON)

    @classmethod
    def from_namespace(cls, namespace: Any, prefix: str, model: str) -> "EngineOptions":
        """Read the options :func:`add_engine_options` defined with ``prefix`` from a parsed namespace."""
        dest = prefix.replace("-", "_")
        return cls(**{name: getattr(namespace, dest + name) for name in
                      ("device", "dtype", "batch_size", "allow_pickle", "trust_remote_code")},
                   flags=Flags(prefix, model))

    def load_kwargs(self) -> dict[str, Any]:
        return {"device": self.device, "dtype": self.dtype, "batch_size": self.batch_size,
                "allow_pickle": self.allow_pickle, "trust_remote_code": self.trust_remote_code, "flags": self.flags}
