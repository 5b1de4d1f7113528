"""The benchmarks, run from the repository root as modules: `python -m bench.bench_step` (BENCHMARKS.md
lists each one's command). They import the engine (`nst`), each other (`bench.*`) and the test
harness (`tests.harness.*`) without touching sys.path."""
