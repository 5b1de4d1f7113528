"""Where the repository's parts are, for tests and benchmarks."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
APP = str(ROOT / "streamlit_app.py")
