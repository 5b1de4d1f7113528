"""What the tests and the benchmarks share: the studio under `streamlit run` (server), Debian's
Chromium driven by Playwright (browser), and the generated hostile-image corpus (corpus).

Imported as `tests.harness.*` from the repository root (pytest puts it on sys.path; the benchmarks
run as `python -m bench.NAME`).
"""
