"""Sockets at rest and after a restart: RSS per idle socket on one process, and a reconnect
storm (every client back with ?after=<seq> while events keep coming)."""

import threading
import time

from bench import report
from bench.fanout.clients import ClientPool
from bench.fanout.designs import NUCLEUS_APP, NUCLEUS_SERVER
from bench.fanout.figures import KB
from bench.fanout.measure import WAIT
from bench.fanout.publishers import ReplyPublisher
from bench.fanout.servers import Server, bare_env, nucleus_env


def idle_memory(scale, stage):
    """RSS per idle socket on one process, counted from a warmed-up server."""
    request, base = stage.stream()
    figures = []
    bare = _idle_rss(Server("bare", bare_env()), "/", scale.idle, base=0)
    nucleus_server = Server(NUCLEUS_SERVER, nucleus_env(_redis_url()), app=NUCLEUS_APP)
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
    server = Server(NUCLEUS_SERVER, nucleus_env(redis_url), app=NUCLEUS_APP)
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


def _redis_url():
    from django.conf import settings

    return settings.REDIS_URL


def _soft_open_files():
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
