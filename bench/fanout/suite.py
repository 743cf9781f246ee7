"""Live fan-out: Nucleus side by side with a bare websockets server and the plain Channels
design (bench.fanout.designs), all measured in this run, as ratios.

At each size every design; then where a Nucleus server's time goes (py-spy), staff sockets,
two Nucleus processes against one, the embedded default (no Redis: events reach the server
through the outbox relay), idle-socket memory and a reconnect storm (bench.fanout.recovery).
"""

import traceback
from dataclasses import dataclass

from bench import report
from bench.fanout.designs import measure_bare, measure_group_send, measure_nucleus
from bench.fanout.figures import MS, US, absolute, against_bare, against_baselines, describe, faults
from bench.fanout.measure import Plan
from bench.fanout.profile import WRITE_PATH, Profile
from bench.fanout.publishers import Stage
from bench.fanout.recovery import idle_memory, storm


@dataclass(frozen=True)
class Scale:
    sizes: tuple  # clients per fan-out comparison
    target_size: int  # where the ratio targets apply (1,000 clients)
    plan: Plan
    staff_sizes: tuple
    embedded: Plan
    idle: tuple  # idle sockets on one process, in steps
    storm: int
    storm_rate: float  # events per second while the storm runs


FULL = Scale(
    sizes=(100, 1_000, 2_000),
    target_size=1_000,
    plan=Plan(warmup=5, sequential=60, pipelined=200, window=8, seconds=30),
    staff_sizes=(100, 1_000),
    embedded=Plan(warmup=1, sequential=8, pipelined=20, window=20, seconds=15),
    idle=(1_000, 10_000),
    storm=2_000,
    storm_rate=5.0,
)
SMOKE = Scale(
    sizes=(20,),
    target_size=20,
    plan=Plan(warmup=1, sequential=5, pipelined=10, window=4, seconds=5),
    staff_sizes=(20,),
    embedded=Plan(warmup=1, sequential=2, pipelined=4, window=4, seconds=5),
    idle=(100,),
    storm=50,
    storm_rate=10.0,
)


def run(smoke):
    scale = SMOKE if smoke else FULL
    _prepare(smoke)
    from django.conf import settings

    redis_url = settings.REDIS_URL
    stage = Stage()
    figures = []
    for n in scale.sizes:
        figures += _attempt(f"Fan-out {n:,}", compare, n, scale, stage, redis_url)
    if redis_url:
        n = scale.target_size
        figures += _attempt(f"Profile {n:,}", where_time_goes, n, scale, stage, redis_url)
        for n in scale.staff_sizes:
            figures += _attempt(f"Staff sockets {n:,}", staff, n, scale, stage, redis_url)
        n = scale.sizes[-1]
        figures += _attempt(f"Scale-out {n:,}", scale_out, n, scale, stage, redis_url)
        figures += _attempt(f"Reconnect storm {scale.storm:,}", storm, scale, stage, redis_url)
    figures += _attempt("Embedded", embedded, scale, stage)
    figures += _attempt("Idle sockets", idle_memory, scale, stage)
    return figures


def _prepare(smoke):
    """Standalone (`python -c "from bench.fanout import run; ..."`): set up the bench
    database as `python -m bench` would. Under the harness or pytest Django is ready."""
    from django.apps import apps

    if not apps.ready:
        from bench import environment

        environment.configure(smoke)


def _attempt(title, scenario, *args):
    """A scenario that fails is one failed figure; the others still run."""
    try:
        return scenario(*args)
    except Exception as error:
        return [_failed(title, error)]


def _measure(figures, title, measure, *args, **kwargs):
    """measure(*args, **kwargs), or None with a failed figure added to `figures`."""
    try:
        return measure(*args, **kwargs)
    except Exception as error:
        figures.append(_failed(title, error))
        return None


def _failed(title, error):
    traceback.print_exc()
    fig = report.figure(f"{title}: failed", None, "", detail=f"{type(error).__name__}: {error}")
    fig.update(target="runs to completion", meets=False)
    return fig


def compare(n, scale, stage, redis_url):
    """Every design at n clients; a design that fails is reported, the others still run."""
    plan = scale.plan
    targeted = n == scale.target_size
    designs = [("group_send, in-memory layer", measure_group_send, ())]
    if redis_url:
        designs.append(("group_send, RedisChannelLayer", measure_group_send, (redis_url,)))
    figures = []
    bare = _measure(figures, f"Fan-out {n:,} · bare websockets", measure_bare, n, plan)
    if bare is None:
        return figures  # no reference, no ratios
    baselines = []
    for label, measure, args in designs:
        result = _measure(figures, f"Fan-out {n:,} · {label}", measure, n, plan, *args)
        if result is not None:
            baselines.append((label, result))
    nucleus = []
    if redis_url:
        name = f"Fan-out {n:,} · Nucleus, status sockets"
        result = _measure(figures, name, measure_nucleus, n, plan, stage, redis_url)
        if result is not None:
            nucleus.append((name, result))
    figures += absolute(f"Fan-out {n:,} · bare websockets", bare, faults_target=False)
    for label, result in baselines:
        name = f"Fan-out {n:,} · {label}"
        figures += against_bare(name, result, bare, targets=False)
        figures.append(faults(name, result, target=False))
    for name, result in nucleus:
        figures += against_bare(name, result, bare, targets=targeted)
        figures += against_baselines(name, result, baselines, targeted)
        figures.append(faults(name, result))
    return figures


def where_time_goes(n, scale, stage, redis_url):
    """A separate Nucleus run with py-spy on the server during the pipelined phase (the
    profiler costs CPU, so the measured runs go without it)."""
    profiles = []

    def watch(servers):
        profiles.append(Profile(servers[0].proc.pid, scale.plan.seconds))
        return profiles[0]

    result = measure_nucleus(n, scale.plan, stage, redis_url, watch=watch)
    counts = profiles[0].layers()
    total = sum(counts.values())
    write_path = sum(counts[layer] for layer in WRITE_PATH)
    return [
        report.figure(
            f"Fan-out {n:,} · Nucleus server profile: share in the server's write path",
            100 * write_path / total if total else None,
            "%",
            detail=f"py-spy on the server, pipelined phase ({result.rate:.1f} broadcasts/s, "
            f"{result.cpu_per_message * US:.0f} µs CPU per delivered message):\n"
            + profiles[0].summary(),
        )
    ]


def staff(n, scale, stage, redis_url):
    """Staff sockets: each push carries the socket's own buttons (rendered once per permission
    set), so nothing is fetched back per socket."""
    result = measure_nucleus(n, scale.plan, stage, redis_url, audience="staff")
    name = f"Fan-out {n:,} · Nucleus, staff sockets"
    figures = absolute(name, result)
    figures.append(
        report.figure(
            f"{name}: time to connect all",
            result.connect_seconds,
            "s",
            detail="Each staff socket joins presence; the hub sends the viewer list once per "
            "request per 0.25 s window, not once per connect to every socket.",
        )
    )
    return figures


def scale_out(n, scale, stage, redis_url):
    one = measure_nucleus(n, scale.plan, stage, redis_url, processes=1)
    two = measure_nucleus(n, scale.plan, stage, redis_url, processes=2)
    name = f"Scale-out {n:,} · Nucleus, 2 server processes behind Redis vs 1"
    # Broadcasts per CPU-second of the servers, if each process had a core of its own: on a
    # 2-core machine the client processes share the cores, which caps the measured ratio.
    capacity_one, capacity_two = (
        processes / (result.cpu_per_message * n) if result.cpu_per_message else None
        for processes, result in ((1, one), (2, two))
    )
    return [
        report.figure(
            f"{name}: throughput",
            two.rate,
            "broadcasts/s",
            baseline=one.rate,
            target=(">=", 1.7),
            of="ratio",
            detail=describe(two) + f"; 1 process: {describe(one)}",
        ),
        report.figure(
            f"{name}: capacity with a core per server process (from server CPU per broadcast)",
            capacity_two,
            "broadcasts/s",
            baseline=capacity_one,
            detail="Derived, not measured: the clients run on the same 2 cores as the servers.",
        ),
        report.figure(f"{name}: p50 to last client", two.p50 * MS, "ms", baseline=one.p50 * MS),
        faults(f"{name} (2 processes)", two),
    ]


def embedded(scale, stage):
    """No Redis: the producing process has no hub, so its events reach the server through the
    outbox relay (a 1 s poll taking events older than 1 s). Not the fast path; reported so."""
    from django.test import override_settings

    n = scale.target_size
    with override_settings(REDIS_URL=""):
        result = measure_nucleus(n, scale.embedded, stage, None)
    name = f"Fan-out {n:,} · Nucleus embedded (no Redis; events from another process)"
    return [
        report.figure(
            f"{name}: p50 to last client",
            result.p50 * MS,
            "ms",
            detail="Delivery waits for the outbox relay: a 1 s poll for events older than "
            "1 s. Actions run inside the server process (the web UI on the embedded "
            "default) hand events to its hub directly.",
        ),
        report.figure(f"{name}: throughput", result.rate, "broadcasts/s"),
        faults(name, result),
    ]
