"""A Ray head on 127.0.0.1 started as the README's cluster recipe says, in a fresh home folder: the
recipe's own lines (`export RAY_AUTH_MODE=token`, `ray get-auth-token --generate`, `ray start
--head`), so a recipe that fails on a fresh machine fails here too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .paths import ROOT
from .ports import free_port

RECIPE_HEADING = "### A class on a GPU box or a cluster"
HEAD_LINES = re.compile(r"^(export |ray get-auth-token|ray start --head)")  # what runs on the head machine
LOOPBACK = ("--node-ip-address 127.0.0.1 --disable-usage-stats --include-dashboard false"
            " --num-cpus {cpus} --port {port}")  # this machine only, on a free port


@dataclass(frozen=True)
class RayHead:
    address: str
    home: Path  # the fresh home folder the recipe ran in: its ~/.ray/auth_token is the cluster's token
    env: dict[str, str]  # what a client on this machine needs (the recipe's exports, that home)

    @property
    def token_path(self) -> Path:
        return self.home / ".ray" / "auth_token"


def recipe_lines(readme: Path = ROOT / "README.md") -> list[str]:
    """The README cluster recipe's commands for the head machine, comments removed, in its order."""
    text = readme.read_text()
    block = re.search(r"```bash\n(.*?)```", text[text.index(RECIPE_HEADING):], re.S)
    assert block is not None, f"no bash block under {RECIPE_HEADING!r} in the README"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if HEAD_LINES.match(line)]


def ray_command() -> str | None:
    return shutil.which("ray", path=str(Path(sys.executable).parent))


@contextmanager
def ray_head(cpus: int = 2) -> Iterator[RayHead]:
    """Run the recipe's head lines in bash with a fresh HOME (the `ray start --head` line gets this
    machine's loopback and a free port added); yield the head; `ray stop` after."""
    home = Path(tempfile.mkdtemp(prefix="nst-ray-home-"))
    port = free_port()
    script = ["set -e", *(line + (" " + LOOPBACK.format(cpus=cpus, port=port) if line.startswith("ray start") else "")
                          for line in recipe_lines()), 'echo "RAY_AUTH_MODE=${RAY_AUTH_MODE:-}"']
    env = {**os.environ, "HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"the README's cluster recipe failed on a fresh home:\n{done.stdout}\n{done.stderr}"
        mode = done.stdout.strip().splitlines()[-1].split("=", 1)[1]
        yield RayHead(f"127.0.0.1:{port}", home, {**env, "RAY_AUTH_MODE": mode})
    finally:
        subprocess.run(["bash", "-c", "ray stop --force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)
