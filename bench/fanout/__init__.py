"""Live fan-out benchmark: `run(smoke)` returns the report's figures (see suite.py).

The suite is imported on call: the client processes import this package too and need
nothing of Django.
"""


def run(smoke):
    from bench.fanout.suite import run as run_suite

    return run_suite(smoke)
