"""The bounded soak: many websocket clients on two Nucleus servers behind Redis while a
separate process runs workflow actions at a steady rate (see suite.py).

The suite is imported on call: the client processes import this package too and need
nothing of Django.
"""


def run(smoke):
    from bench.soak.suite import run as run_suite

    return run_suite(smoke)
