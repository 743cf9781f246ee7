"""The benchmark harness: `make bench` (python -m bench) and `make bench-smoke` for CI.

Each part measures Nucleus side by side with a baseline in the same run and returns figures
(bench.report.figure); the orchestrator (bench.__main__) writes them to bench/results/.
"""
