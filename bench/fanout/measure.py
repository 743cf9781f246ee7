"""One fan-out measurement, the same for every design.

Open N tabs on the servers, warm up, then:
- latency: broadcasts one at a time, each published once the last client has the previous
  one; latency = publish (or commit) -> the moment the LAST client has it;
- throughput: broadcasts pipelined, at most `window` in flight (published, not yet at every
  client), so nothing queues without bound, in a few bursts; broadcasts/s from a burst's
  first publish to the last client receiving its last broadcast (median of the bursts), and
  the servers' CPU time over the phase divided by the messages delivered.
"""

import contextlib
import math
import statistics
import time
from dataclasses import dataclass, field

from bench.fanout.clients import ClientPool

WAIT = 120.0  # seconds one broadcast may take to reach everyone before the run gives up


@dataclass(frozen=True)
class Plan:
    warmup: int
    sequential: int
    pipelined: int
    window: int
    seconds: float  # cap on each of the two phases
    bursts: int = 5  # the pipelined phase, in bursts
    processes: int = 2


@dataclass
class Result:
    clients: int
    latencies: list = field(default_factory=list)
    rate: float = 0.0
    cpu_per_message: float = 0.0
    rss: int = 0
    connect_seconds: float = 0.0
    message_bytes: int = 0
    counts: dict = field(default_factory=dict)

    @property
    def p50(self):
        return statistics.median(self.latencies)

    @property
    def p99(self):
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]

    @property
    def faults(self):
        """Messages lost, duplicated or out of order, and tabs that never caught up."""
        counts = self.counts
        return counts["gaps"] + counts["dupes"] + counts["disorder"] + counts["behind"]


def fan_out(
    servers,
    path,
    publish,
    clients,
    plan,
    *,
    base=0,
    resume=False,
    headers=None,
    ready=None,
    watch=None,
):
    """Measure one design with `clients` tabs spread over `servers` (all on `path`).

    `ready()`, if given, blocks until the servers can take a broadcast once the tabs are open;
    `watch(servers)` is a context manager held around the pipelined phase (a profiler)."""
    urls = [servers[i % len(servers)].url(path) for i in range(clients)]
    result = Result(clients)
    with ClientPool(plan.processes) as pool:
        opened, asked, result.connect_seconds = pool.open(
            urls, base=base, resume=resume, origin=servers[0].origin, headers=headers
        )
        if opened != asked:
            raise RuntimeError(f"only {opened} of {asked} clients connected")
        if ready:
            ready()
        for _ in range(plan.warmup):
            seq, _ = publish()
            pool.wait_for(seq, WAIT)
        result.latencies = sequential(pool, publish, plan)
        with watch(servers) if watch else contextlib.nullcontext():
            result.rate, cpu_per_broadcast, last = pipelined(pool, publish, plan, servers)
        result.cpu_per_message = cpu_per_broadcast / clients
        result.rss = sum(server.rss_bytes() for server in servers)
        result.counts = pool.stats(expect=last)
        result.message_bytes = result.counts["bytes"] // max(1, result.counts["events"])
        pool.close()
    return result


def sequential(pool, publish, plan):
    latencies = []
    stop = time.monotonic() + plan.seconds
    while len(latencies) < plan.sequential and (len(latencies) < 3 or time.monotonic() < stop):
        seq, published = publish()
        latencies.append(pool.wait_for(seq, WAIT) - published)
    return latencies


def pipelined(pool, publish, plan, servers):
    """(broadcasts/s, server CPU seconds per broadcast, last seq): the median rate of
    `plan.bursts` bursts, each with at most `window` broadcasts in flight and drained before
    the next (the machine is shared: a median of several shorter bursts shrugs off a
    neighbour's spike better than one long one)."""
    cpu_before = sum(server.cpu_seconds() for server in servers)
    stop = time.monotonic() + plan.seconds
    per_burst = max(3, plan.pipelined // plan.bursts)
    rates = []
    count = 0
    last = None
    while len(rates) < plan.bursts and (not rates or time.monotonic() < stop):
        sent, seconds = burst(pool, publish, per_burst, plan.window)
        rates.append(len(sent) / seconds)
        count += len(sent)
        last = sent[-1]
    cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
    return statistics.median(rates), cpu / count, last


def burst(pool, publish, count, window):
    """Publish `count` broadcasts, at most `window` in flight; (seqs, seconds from the first
    publish to the last client getting the last one)."""
    sent = []
    first = None
    progress = (pool.level(), time.monotonic())
    while True:
        level = pool.level()
        done = sum(seq <= level for seq in sent)
        if done == count:
            return sent, pool.completed_at(sent[-1]) - first
        if level != progress[0]:
            progress = (level, time.monotonic())
        elif time.monotonic() - progress[1] > WAIT:
            raise TimeoutError(f"no broadcast reached every client for {WAIT:g} s")
        if len(sent) < count and len(sent) - done < window:
            seq, published = publish()
            first = published if first is None else first
            sent.append(seq)
            pool.pump(0)
        else:
            pool.pump(1.0)
