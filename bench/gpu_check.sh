#!/usr/bin/env bash
# On a Linux machine with an NVIDIA GPU and access to PyPI: set up a CUDA environment beside the
# project's .venv and print the GPU figures of BENCHMARKS.md ("On a GPU"). Under 8 minutes on a fresh
# machine (most of it is the download of TensorFlow's CUDA wheels, ~2.5 GB).
#
#     bash bench/gpu_check.sh            # figures on stdout, the same as JSON in gpu_check.json
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-gpu}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  # the project's requirements with TensorFlow's CUDA build and onnxruntime's GPU build instead of the CPU ones
  grep -v -E '^(tensorflow|onnxruntime)' requirements.txt > "$VENV/requirements-gpu.txt"
  "$VENV/bin/pip" install --quiet "tensorflow[and-cuda]>=2.18,<2.22" "onnxruntime-gpu>=1.17,<2" -r "$VENV/requirements-gpu.txt"
  "$VENV/bin/pip" install --quiet --no-deps -r requirements-offline.txt
fi
"$VENV/bin/python" -m bench.gpu_check "$@"
