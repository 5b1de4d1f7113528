"""Which number format the network runs in: float32, or bfloat16 where the hardware computes it natively.

bfloat16 keeps float32's range with an 8-bit mantissa. Run through VGG it changes the loss by well
under 1% and points the gradient in the same direction (cosine 0.999 against float32, BENCHMARKS.md),
and on hardware with bfloat16 arithmetic the convolutions run about twice as fast. Elsewhere it is
emulated and slower, so 'auto' picks it only where it is native, on every Keras backend: an NVIDIA GPU
of compute capability 8.0 or newer (A100, H100, RTX 30xx and later) or an x86 CPU with AVX512-BF16 or AMX-BF16.
The image, the Gram matrices and the losses always stay in float32.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

PRECISIONS = ("auto", "float32", "bfloat16")
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def resolve(precision: str) -> str:
    """'float32' or 'bfloat16': `precision` itself, or for 'auto' what this machine runs fastest."""
    if precision != "auto":
        return precision
    return "bfloat16" if native_bfloat16() else "float32"


@functools.cache
def native_bfloat16() -> bool:
    """Whether the device the Keras backend computes on has bfloat16 arithmetic."""
    from . import backends  # here, so that reading PRECISIONS does not load Keras

    device = backends.current().device()
    return device.bfloat16 if device.kind != "cpu" else cpu_has_bfloat16(_cpu_flags())


def cpu_has_bfloat16(flags: set[str]) -> bool:
    return any(flag in flags for flag in CPU_BF16_FLAGS)


def _cpu_flags() -> set[str]:
    """The CPU feature flags Linux reports (empty elsewhere: other systems get float32)."""
    cpuinfo = Path("/proc/cpuinfo")
    if platform.system() != "Linux" or not cpuinfo.is_file():
        return set()
    for line in cpuinfo.read_text(errors="replace").splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()
