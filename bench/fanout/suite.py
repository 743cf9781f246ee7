"""Live fan-out: Nucleus side by side with a bare websockets server and the plain Channels
design, all measured in this run, as ratios.

Designs (each its own server process, the same client processes and measurement):
- bare: `websockets.broadcast` of a 1 KB message (the limit on this machine);
- group_send: one AsyncWebsocketConsumer per socket in one group (baseline_asgi), with the
  in-memory layer and with RedisChannelLayer;
- Nucleus: daphne serving helpdesk.asgi on the bench database, N status (or staff) sockets
  on one request, an agent replying through workflows.actions in this process; Redis
  pub/sub carries one message per server process.
Then: two Nucleus processes against one, idle-socket memory, a reconnect storm, and the
embedded default (no Redis), whose events reach the server through the outbox relay.
"""

import importlib.util
import threading
import time
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from bench import report
from bench.fanout.clients import ClientPool
from bench.fanout.measure import WAIT, Plan, fan_out
from bench.fanout.profile import WRITE_PATH, Profile
from bench.fanout.publishers import ControlPublisher, ReplyPublisher, Stage
from bench.fanout.servers import Server, bare_env, baseline_env, nucleus_env

BASELINE_APP = "bench.fanout.baseline_asgi:application"
NUCLEUS_APP = "helpdesk.asgi:application"
MS, US, KB, MB = 1e3, 1e6, 1 / 1024, 1 / 1024**2


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


# -- the designs --------------------------------------------------------------------------
def measure_bare(n, plan):
    with Server("bare", bare_env()) as server, _closing(ControlPublisher(server)) as publish:
        return fan_out([server], "/", publish, n, plan)


def measure_group_send(n, plan, redis_url=None):
    env = baseline_env(redis_url)
    server = Server("daphne", env, app=BASELINE_APP)
    with server, _closing(ControlPublisher(server)) as publish:
        return fan_out([server], "/ws/bench/", publish, n, plan)


def measure_nucleus(
    n, plan, stage, redis_url, *, processes=1, audience="status", server="daphne", watch=None
):
    request, base = stage.stream()
    env = nucleus_env(redis_url)
    if audience == "status":
        path, headers = f"/ws/status/{request.public_token}/", None
    else:
        path, headers = f"/ws/request/{request.pk}/", {"Cookie": stage.staff_cookie()}
    with _servers(server, env, processes) as servers:
        publish = ReplyPublisher(stage, request)
        return fan_out(
            servers,
            path,
            publish,
            n,
            plan,
            base=base,
            resume=True,
            headers=headers,
            ready=lambda: _subscribed(redis_url, len(servers)),
            watch=watch,
        )


def _subscribed(redis_url, processes, timeout=30):
    """Wait until every server's hub listens on the pub/sub channel. It subscribes after its
    first socket has connected, and an event published before that is lost for its sockets
    until the next one (the storm shows what that means; here it would only stall a run)."""
    if not redis_url:
        return
    import redis

    from realtime.publisher import pubsub_channel

    channel = pubsub_channel()
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while client.pubsub_numsub(channel)[0][1] < processes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"servers not subscribed to {channel} after {timeout} s")
            time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def _servers(kind, env, count):
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = Server(kind, env, app=NUCLEUS_APP, taken=[s.port for s in servers])
            servers.append(stack.enter_context(server))
        yield servers


@contextmanager
def _closing(publisher):
    try:
        yield publisher
    finally:
        publisher.close()


# -- scenarios ----------------------------------------------------------------------------
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
    for label, server in _nucleus_servers() if redis_url else ():
        name = f"Fan-out {n:,} · {label}"
        result = _measure(figures, name, measure_nucleus, n, plan, stage, redis_url, server=server)
        if result is not None:
            nucleus.append((name, result))
    figures += _absolute(f"Fan-out {n:,} · bare websockets", bare, faults_target=False)
    for label, result in baselines:
        name = f"Fan-out {n:,} · {label}"
        figures += _against_bare(name, result, bare, targets=False)
        figures.append(_faults(name, result, target=False))
    for name, result in nucleus:
        figures += _against_bare(name, result, bare, targets=targeted)
        figures += _against_baselines(name, result, baselines, targeted)
        figures.append(_faults(name, result))
    return figures


def _nucleus_servers():
    """Nucleus as served (daphne), and under uvicorn when it is installed: what the server's
    write path costs, measured rather than guessed."""
    servers = [("Nucleus, status sockets", "daphne")]
    if importlib.util.find_spec("uvicorn"):
        servers.append(("Nucleus, status sockets, under uvicorn", "uvicorn"))
    return servers


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
            f"Fan-out {n:,} · Nucleus server profile: share in daphne's write path",
            100 * write_path / total if total else None,
            "%",
            detail=f"py-spy on the server, pipelined phase ({result.rate:.1f} broadcasts/s, "
            f"{result.cpu_per_message * US:.0f} µs CPU per delivered message):\n"
            + profiles[0].summary(),
        )
    ]


def staff(n, scale, stage, redis_url):
    result = measure_nucleus(n, scale.plan, stage, redis_url, audience="staff")
    name = f"Fan-out {n:,} · Nucleus, staff sockets"
    figures = _absolute(name, result)
    figures.append(
        report.figure(
            f"{name}: time to connect all",
            result.connect_seconds,
            "s",
            detail="Each staff socket joins presence and announces it to every socket on the "
            "request, so connecting N staff sockets sends O(N^2) presence pushes.",
        )
    )
    return figures


def scale_out(n, scale, stage, redis_url):
    one = measure_nucleus(n, scale.plan, stage, redis_url, processes=1)
    two = measure_nucleus(n, scale.plan, stage, redis_url, processes=2)
    name = f"Scale-out {n:,} · Nucleus, 2 daphne processes behind Redis vs 1"
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
            detail=_describe(two) + f"; 1 process: {_describe(one)}",
        ),
        report.figure(
            f"{name}: capacity with a core per server process (from server CPU per broadcast)",
            capacity_two,
            "broadcasts/s",
            baseline=capacity_one,
            detail="Derived, not measured: the clients run on the same 2 cores as the servers.",
        ),
        report.figure(f"{name}: p50 to last client", two.p50 * MS, "ms", baseline=one.p50 * MS),
        _faults(f"{name} (2 processes)", two),
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
        _faults(name, result),
    ]


def idle_memory(scale, stage):
    """RSS per idle socket on one process, counted from a warmed-up server."""
    request, base = stage.stream()
    figures = []
    bare = _idle_rss(Server("bare", bare_env()), "/", scale.idle, base=0)
    nucleus_server = Server("daphne", nucleus_env(_redis_url()), app=NUCLEUS_APP)
    nucleus = _idle_rss(
        nucleus_server, f"/ws/status/{request.public_token}/", scale.idle, base=base, resume=True
    )
    for count in scale.idle:
        figures.append(
            report.figure(
                f"Idle websockets · {count:,} on one Nucleus process: RSS per socket",
                nucleus["per_socket"][count] * KB,
                "KB",
                baseline=bare["per_socket"][count] * KB,
                target=("<=", 50),
                detail=f"Baseline: the bare websockets server with {count:,} idle sockets.",
            )
        )
    figures.append(
        report.figure(
            "Idle websockets · open-files limit of the server process",
            nucleus["limit"],
            "files",
            detail=f"Raised to the hard limit with resource.setrlimit at start-up "
            f"(ulimit -n of the harness: {_soft_open_files()}).",
        )
    )
    return figures


def _idle_rss(server, path, counts, *, base, **options):
    warm = 10
    per_socket = {}
    with server, ClientPool(4) as pool:
        urls = [server.url(path)] * (warm + counts[-1])
        options.update(origin=server.origin)
        _open_all(pool, urls[:warm], base, options)
        time.sleep(1)
        before = server.rss_bytes()
        opened = warm
        for count in counts:
            _open_all(pool, urls[opened : warm + count], base, options)
            opened = warm + count
            time.sleep(1)
            per_socket[count] = (server.rss_bytes() - before) / count
        limit = server.open_files_limit()
        pool.close()
    return {"per_socket": per_socket, "limit": limit}


def _open_all(pool, urls, base, options):
    opened, asked, _ = pool.open(urls, base=base, **options)
    if opened != asked:
        raise RuntimeError(f"only {opened} of {asked} clients connected")


def storm(scale, stage, redis_url):
    """N clients on a status page, the server restarts, all come back with ?after=<seq>
    while replies keep coming; how long until every one has caught up, without gaps."""
    n = scale.storm
    request, base = stage.stream()
    server = Server("daphne", nucleus_env(redis_url), app=NUCLEUS_APP)
    name = f"Reconnect storm · {n:,} clients, daphne restarted, events continuing"
    with server, ClientPool(4) as pool:
        urls = [server.url(f"/ws/status/{request.public_token}/")] * n
        options = {"origin": server.origin, "resume": True, "reconnect": True}
        _open_all(pool, urls, base, options)
        with Producer(ReplyPublisher(stage, request), scale.storm_rate) as producer:
            pool.wait_for(producer.wait_next(), WAIT)  # everyone is live before the restart
            restarted = time.monotonic()
            server.stop()
            stopped = time.monotonic()
            server.start()
            listening = time.monotonic()
            caught_up = _completed(pool, producer.latest, WAIT)
        final = producer.latest
        _completed(pool, final, 10)
        counts = pool.stats(expect=final)
        pool.close()
    detail = (
        f"Restart took {listening - restarted:.1f} s (SIGTERM to exit "
        f"{stopped - restarted:.1f} s, then listening again {listening - stopped:.1f} s); "
        f"{counts['connects']:,} connections for {n:,} clients "
        f"({counts['failures']:,} failed handshakes on the way); {counts['reloads']} reloads; "
        f"replies at {scale.storm_rate:g}/s throughout; "
        f"{counts['behind']} clients without the last event 10 s after the replies stopped"
    )
    figures = [
        report.figure(
            f"{name}: listening again → all caught up",
            caught_up and caught_up - listening,
            "s",
            target=("<", 60),
            detail=detail,
        ),
        report.figure(f"{name}: restart → all caught up", caught_up and caught_up - restarted, "s"),
        report.figure(
            f"{name}: messages lost, duplicated or out of order",
            counts["gaps"] + counts["dupes"] + counts["disorder"] + counts["behind"],
            "messages",
            target=("<=", 0),
        ),
    ]
    if caught_up is None:
        figures[0].update(meets=False, detail=f"Not all caught up within {WAIT:g} s. {detail}")
    return figures


def _completed(pool, seq, timeout):
    """When the last client got `seq`, or None if one had not within `timeout` seconds."""
    try:
        return pool.wait_for(seq, timeout)
    except TimeoutError:
        return None


class Producer:
    """Replies at a steady rate on a thread of its own while the main thread watches."""

    def __init__(self, publish, rate):
        self.publish = publish
        self.interval = 1 / rate
        self.latest = 0
        self.stopping = threading.Event()
        self.published = threading.Condition()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(WAIT)

    def wait_next(self):
        with self.published:
            seen = self.latest
            self.published.wait_for(lambda: self.latest > seen, WAIT)
            return self.latest

    def _loop(self):
        from django.db import connection

        try:
            while not self.stopping.wait(self.interval):
                seq, _ = self.publish()
                with self.published:
                    self.latest = seq
                    self.published.notify_all()
        finally:
            connection.close()


# -- figures ------------------------------------------------------------------------------
def _describe(result):
    return (
        f"{result.clients:,} clients, {len(result.latencies)} sequential broadcasts, "
        f"~{result.message_bytes:,} B per message, connected in {result.connect_seconds:.1f} s "
        f"({result.counts['failures']:,} handshakes failed and were retried)"
    )


def _absolute(name, result, *, faults_target=True):
    return [
        report.figure(
            f"{name}: p50 to last client", result.p50 * MS, "ms", detail=_describe(result)
        ),
        report.figure(f"{name}: p99 to last client", result.p99 * MS, "ms"),
        report.figure(f"{name}: throughput", result.rate, "broadcasts/s"),
        report.figure(
            f"{name}: server CPU per delivered message", result.cpu_per_message * US, "µs"
        ),
        report.figure(f"{name}: server RSS", result.rss * MB, "MB"),
        _faults(name, result, target=faults_target),
    ]


def _against_bare(name, result, bare, *, targets):
    def target(limit):
        return ("<=", limit) if targets else None

    return [
        report.figure(
            f"{name}: p50 to last client",
            result.p50 * MS,
            "ms",
            baseline=bare.p50 * MS,
            target=target(2),
            of="ratio",
            detail=_describe(result),
        ),
        report.figure(
            f"{name}: p99 to last client",
            result.p99 * MS,
            "ms",
            baseline=bare.p99 * MS,
            target=target(2),
            of="ratio",
        ),
        report.figure(
            f"{name}: throughput vs bare", result.rate, "broadcasts/s", baseline=bare.rate
        ),
        report.figure(
            f"{name}: server CPU per delivered message",
            result.cpu_per_message * US,
            "µs",
            baseline=bare.cpu_per_message * US,
            target=target(3),
            of="ratio",
        ),
        report.figure(f"{name}: server RSS", result.rss * MB, "MB", baseline=bare.rss * MB),
    ]


def _against_baselines(name, result, baselines, targeted):
    return [
        report.figure(
            f"{name}: throughput vs {label}",
            result.rate,
            "broadcasts/s",
            baseline=baseline.rate,
            target=(">=", 10) if targeted else None,
            of="ratio",
        )
        for label, baseline in baselines
    ]


def _faults(name, result, *, target=True):
    return report.figure(
        f"{name}: messages lost, duplicated or out of order",
        result.faults,
        "messages",
        target=("<=", 0) if target else None,
        detail=None if not result.faults else str(result.counts),
    )


def _redis_url():
    from django.conf import settings

    return settings.REDIS_URL


def _soft_open_files():
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
