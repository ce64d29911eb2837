#!/usr/bin/env bash
# assay on a CUDA GPU: the engine in bfloat16 / float16 / float32 against a raw length-sorted loop at its
# best batch size, the single-head sweep and gradient head importance, with their ratios
# (benchmarks/gpu.py; arguments are passed on, e.g. --n 5000 --heads-n 1000 --rounds 3).
#
#   benchmarks/gpu.sh                    # from the repository root, in the project's environment
#   PYTHON=/path/to/python benchmarks/gpu.sh --n 20000
#
# On a machine without a usable CUDA GPU it says so and exits 0 without measuring anything.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "gpu.sh: $PYTHON cannot import torch; activate the project's environment (or set PYTHON) and run it again" >&2
  exit 2
fi
if ! "$PYTHON" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "gpu.sh: no CUDA GPU here (torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), torch.cuda.is_available() is False); nothing measured."
  echo "gpu.sh: run it on a machine with an NVIDIA GPU and a CUDA build of torch."
  exit 0
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" benchmarks/gpu.py "$@"
