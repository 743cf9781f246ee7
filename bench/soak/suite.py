"""The bounded soak (issue 7, "Under load"): websocket clients on two Nucleus servers behind
Redis while a separate process runs workflow actions at a steady rate for minutes.

Per request, status pages (public events) and staff request pages (every event, presence)
spread over both servers, plus a finance clerk's inbox list sockets (refresh pokes); every
tab reconnects and resumes as a browser does. The producer (bench.soak.producer) runs
bench.actions' cycle round-robin over the requests. Afterwards every tab's entries are
checked against the event log (bench.soak.checks); the servers' RSS, sampled throughout, is
compared between the end of the warm-up and the end of the stream.

Without Redis (a smoke run on the embedded default) one server carries every client, and
its outbox relay brings it the producer's events.
"""

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter

from bench import report
from bench.fanout.clients import ClientPool
from bench.fanout.designs import SHIPPED, start_servers, wait_subscribed
from bench.fanout.figures import MB
from bench.fanout.publishers import Stage
from bench.fanout.servers import ROOT, log_dir, nucleus_env
from bench.soak.checks import commit_times, rss_growth, tally
from bench.soak.clients import SoakWorker

SERVERS = 2  # behind Redis; without it one, whose outbox relay brings it the events
CLIENT_PROCESSES = 2
DRAIN = 60.0  # seconds the clients get to catch up once the stream stops
OVERRUN = 120.0  # seconds the producer may run past its plan before the soak gives up
RSS_GROWTH_TARGET = 10  # % after warm-up


@dataclasses.dataclass(frozen=True)
class Scale:
    requests: int
    status_pages: int  # per request
    staff_pages: int  # per request
    list_sockets: int
    rate: float  # actions per second
    seconds: float  # BENCH_SOAK_SECONDS overrides it
    warmup: float
    sample_every: float  # seconds between RSS samples

    @property
    def clients(self):
        return self.requests * (self.status_pages + self.staff_pages) + self.list_sockets


FULL = Scale(
    requests=50,
    status_pages=4,
    staff_pages=5,
    list_sockets=50,
    rate=20,
    seconds=300,
    warmup=60,
    sample_every=5,
)
SMOKE = Scale(
    requests=4,
    status_pages=2,
    staff_pages=2,
    list_sockets=2,
    rate=5,
    seconds=10,
    warmup=3,
    sample_every=1,
)


def scale_for(smoke):
    scale = SMOKE if smoke else FULL
    seconds = float(os.environ.get("BENCH_SOAK_SECONDS") or scale.seconds)
    return dataclasses.replace(scale, seconds=seconds, warmup=min(scale.warmup, seconds / 5))


class SoakStage(Stage):
    """Fan-out's agent, customer and requests, and a finance clerk who works the tasks."""

    def __init__(self):
        from django.contrib.auth.models import User

        from helpdesk.models import Department, StaffMembership

        super().__init__()
        self.finance, _ = Department.objects.get_or_create(
            slug="finance", defaults={"name": "Finance", "description": "Refunds and invoices."}
        )
        self.clerk, _ = User.objects.get_or_create(
            username="bench-soak-clerk", defaults={"first_name": "Sam"}
        )
        StaffMembership.objects.get_or_create(
            user=self.clerk, department=self.finance, defaults={"role": "back_office"}
        )


def run(smoke):
    from django.conf import settings

    scale = scale_for(smoke)
    redis_url = settings.REDIS_URL
    stage = SoakStage()
    streams = [stage.stream() for _ in range(scale.requests)]
    env = nucleus_env(redis_url)
    with (
        start_servers(SHIPPED, env, SERVERS if redis_url else 1) as servers,
        ClientPool(CLIENT_PROCESSES, worker=SoakWorker) as pool,
    ):
        pages, connect_seconds = open_pages(pool, servers, stage, streams, scale)
        wait_subscribed(redis_url, len(servers))
        produced, samples = produce(servers, env, stage, streams, scale)
        logged = event_log([request.pk for request, _ in streams])
        behind = drain(pool, pages, logged)
        reports = pool.call([("report",)] * CLIENT_PROCESSES, 120)
        pool.close()
        server_errors = sum(
            server.log.read_text(errors="replace").count("Traceback") for server in servers
        )
    where = (
        f"{len(servers)} {SHIPPED} processes behind Redis"
        if redis_url
        else f"1 {SHIPPED} process without Redis (events reach it through the outbox relay)"
    )
    records = [record for _, batch in reports for record in batch]
    bases = {request.pk: base for request, base in streams}
    counts = tally(records, pages, logged, commit_times(produced["committed"], bases))
    return figures(scale, where, produced, samples, counts, behind, server_errors, connect_seconds)


def open_pages(pool, servers, stage, streams, scale):
    """Open every tab; (url -> (request id, public, base seq), or None for a list socket;
    seconds it took)."""
    started = time.monotonic()
    pages = {}
    origin = servers[0].origin
    agent = {"Cookie": stage.staff_cookie()}
    for i, (request, base) in enumerate(streams):
        paths = [(f"/ws/status/{request.public_token}/", True)] * scale.status_pages
        paths += [(f"/ws/request/{request.pk}/", False)] * scale.staff_pages
        urls = [servers[(i + j) % len(servers)].url(path) for j, (path, _) in enumerate(paths)]
        pages.update(
            (url, (request.pk, public, base)) for url, (_, public) in zip(urls, paths, strict=True)
        )
        _open(pool, urls, base=base, resume=True, origin=origin, headers=agent)
    urls = [servers[j % len(servers)].url("/ws/live/") for j in range(scale.list_sockets)]
    pages.update(dict.fromkeys(urls))
    clerk = {"Cookie": stage.staff_cookie(stage.clerk)}
    _open(pool, urls, origin=origin, headers=clerk)
    return pages, time.monotonic() - started


def _open(pool, urls, **options):
    opened, asked, _ = pool.open(urls, reconnect=True, **options)
    if opened != asked:
        raise RuntimeError(f"only {opened} of {asked} clients connected")


def produce(servers, env, stage, streams, scale):
    """Run the producer process for `scale.seconds`, sampling the servers' RSS meanwhile;
    (what it reports, [(monotonic time, [RSS per server])])."""
    stem = log_dir() / f"soak-producer-{time.monotonic_ns()}"
    plan, result, log = (stem.with_suffix(suffix) for suffix in (".plan", ".json", ".log"))
    plan.write_text(
        json.dumps(
            {
                "agent": stage.agent.pk,
                "clerk": stage.clerk.pk,
                "finance": stage.finance.pk,
                "requests": [[request.pk, request.customer_id] for request, _ in streams],
                "rate": scale.rate,
                "seconds": scale.seconds,
            }
        )
    )
    command = [sys.executable, "-m", "bench.soak.producer", str(plan), str(result)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    samples = []
    deadline = time.monotonic() + scale.seconds + OVERRUN
    try:
        while proc.poll() is None:
            samples.append((time.monotonic(), [_rss(server) for server in servers]))
            if time.monotonic() > deadline:
                raise RuntimeError(f"the producer ran {OVERRUN:g} s past its plan")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(scale.sample_every)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    samples.append((time.monotonic(), [_rss(server) for server in servers]))
    if proc.returncode:
        raise RuntimeError(f"the producer failed: {log.read_text(errors='replace')[-2000:]}")
    return json.loads(result.read_text()), samples


def _rss(server):
    if server.proc.poll() is not None:
        raise RuntimeError(f"a server died during the soak: {server.tail()}")
    return server.rss_bytes()


def event_log(request_ids):
    """request id -> [(seq, public)] as committed."""
    from helpdesk.models import Event

    logged = {pk: [] for pk in request_ids}
    rows = Event.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "seq", "visibility"
    )
    for request_id, seq, visibility in rows:
        logged[request_id].append((seq, visibility == Event.Visibility.PUBLIC))
    return logged


def drain(pool, pages, logged):
    """Wait until every tab shows the newest event of its page, for at most DRAIN seconds;
    return how many tabs' urls are still behind."""
    newest = {}
    for url, page in pages.items():
        if page is not None:
            request_id, public, base = page
            seqs = [seq for seq, is_public in logged[request_id] if is_public or not public]
            newest[url] = max([base, *seqs])
    deadline = time.monotonic() + DRAIN
    while True:
        shown = {}
        for _, positions in pool.call([("positions",)] * CLIENT_PROCESSES, 60):
            for url, seq in positions.items():
                shown[url] = min(shown.get(url, seq), seq)
        behind = sum(shown.get(url, 0) < seq for url, seq in newest.items())
        if not behind or time.monotonic() > deadline:
            return behind
        time.sleep(0.5)


def figures(scale, where, produced, samples, counts, behind, server_errors, connect_seconds):
    committed, errors = produced["committed"], produced["errors"]
    seconds = produced["ended"] - produced["started"]
    kinds = Counter(step for *_, step in committed)
    setup = (
        f"{scale.clients:,} websocket clients on {where}: {scale.requests} requests x "
        f"({scale.status_pages} status + {scale.staff_pages} staff request pages), "
        f"{scale.list_sockets} inbox list sockets; connected in {connect_seconds:.1f} s. "
        f"Workflow actions from a separate process, planned at {scale.rate:g}/s for "
        f"{scale.seconds:g} s."
    )
    growth = rss_growth(samples, produced["started"] + scale.warmup)
    warm = sum(start for start, _ in growth)
    end = sum(last for _, last in growth)
    worst = max(100 * (last - start) / start for start, last in growth)

    def zero(name, value, unit, detail=None):
        return report.figure(f"Soak · {name}", value, unit, target=("<=", 0), detail=detail)

    return [
        report.figure("Soak · websocket clients", scale.clients, "clients", detail=setup),
        report.figure(
            "Soak · actions committed",
            len(committed),
            "actions",
            detail=", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items())),
        ),
        report.figure(
            "Soak · action rate",
            len(committed) / seconds,
            "actions/s",
            detail=f"Planned {scale.rate:g}/s; an action due while the one before still ran "
            f"followed at once. {seconds:.0f} s from the first action to the last.",
        ),
        zero("action errors", len(errors), "errors", "\n".join(errors[:10]) or None),
        zero("server tracebacks logged", server_errors, "tracebacks"),
        report.figure(
            "Soak · events delivered",
            counts.delivered,
            "events",
            detail=f"{counts.expected:,} deliveries expected from the event log "
            f"(every event to each staff page, public ones to each status page).",
        ),
        zero(
            "events missed (gaps)",
            counts.missing,
            "events",
            f"{behind} page urls still behind {DRAIN:g} s after the stream stopped"
            if behind
            else None,
        ),
        zero("events duplicated", counts.dupes, "events"),
        zero("events out of order", counts.disorder, "events"),
        zero("events a page should not show", counts.unexpected, "events"),
        zero("pages told to reload", counts.reloads, "pages"),
        report.figure("Soak · list refresh pokes delivered", counts.pokes, "messages"),
        report.figure("Soak · commit → client p50", counts.latency_ms(50), "ms"),
        report.figure("Soak · commit → client p99", counts.latency_ms(99), "ms"),
        report.figure(
            "Soak · server RSS after warm-up",
            warm * MB,
            "MB",
            detail=f"Both servers together, {scale.warmup:g} s into the stream.",
        ),
        report.figure("Soak · server RSS at the end", end * MB, "MB", baseline=warm * MB),
        report.figure(
            "Soak · server RSS growth after warm-up (the server that grew most)",
            worst,
            "%",
            target=("<=", RSS_GROWTH_TARGET),
            detail=_rss_samples(samples, produced["started"]),
        ),
        report.figure(
            "Soak · client reconnects",
            counts.connects - counts.tabs,
            "connections",
            detail=f"{counts.failures:,} failed handshakes.",
        ),
        report.figure(
            "Soak · clients connected at the end",
            counts.tabs - counts.closed,
            "clients",
            target=(">=", scale.clients),
        ),
    ]


def _rss_samples(samples, started, lines=12):
    """About a dozen of the RSS samples, per server, by seconds into the stream."""
    step = max(1, len(samples) // lines)
    picked = samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else [])
    return "\n".join(
        f"{round(stamp - started):5d} s: "
        + " + ".join(f"{rss * MB:.1f}" for rss in per_server)
        + " MB"
        for stamp, per_server in picked
    )
