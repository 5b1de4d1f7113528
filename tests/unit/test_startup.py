"""TensorFlow's native start-up lines are kept off stderr (nst/startup.py), and nothing else is."""

import subprocess
import sys

from tests.harness.paths import ROOT

NOISE = (  # what importing TensorFlow 2.21 writes to fd 2 on a CPU with AVX-512, and its older wording
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796455055.703554   17960 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To turn "
    "them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
    "I0000 00:00:1796455055.734100   17960 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.\n"
    "2024-05-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on. You may see "
    "slightly different numerical results.\n"
)


def test_only_the_start_up_noise_is_kept_off_stderr():
    """Native writes to fd 2 and Python's writes to sys.stderr inside the block: the noise goes, a real
    line comes through, in order, and stderr works as before after the block, an exception too."""
    code = (
        "import os, sys\n"
        "from nst.startup import quiet_native_startup\n"
        "with quiet_native_startup():\n"
        f"    os.write(2, {NOISE.encode()!r})\n"
        "    os.write(2, b'F0000 check failed: a real error\\n')\n"
        "    print('from Python', file=sys.stderr)\n"
        "print('after', file=sys.stderr)\n"
        "try:\n"
        "    with quiet_native_startup():\n"
        f"        os.write(2, {NOISE.encode()!r} + b'the last words\\n')\n"
        "        raise ImportError('no engine')\n"
        "except ImportError:\n"
        "    os.write(2, b'caught\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["F0000 check failed: a real error", "from Python", "after", "the last words",
                                          "caught"]
