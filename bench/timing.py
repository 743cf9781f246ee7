"""Timing one page with Django's test Client: server time and SQL statements per request.

Self-contained on purpose (Django only, nothing from Nucleus): the django-helpdesk side of
the comparison imports this same file inside its own virtualenv, so both help desks are
measured by identical code.
"""

import time

from django.db import connection


def time_get(client, url, *, iterations, warmup=2, max_seconds=60.0, before_each=None, **extra):
    """GET `url` repeatedly: p50/p95/max in ms, SQL statements per request, time in SQL.

    Warm-up requests fill caches (templates, query plans, sessions) and are not counted;
    the loop stops early after `max_seconds` so a slow baseline cannot stall the run.
    `before_each` runs, untimed, before every counted request (to empty a cache, say).
    """
    for _ in range(warmup):
        _get(client, url, extra)
    times, queries, sql_ms = [], [], []
    deadline = time.perf_counter() + max_seconds
    while len(times) < iterations and time.perf_counter() < deadline:
        if before_each:
            before_each()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = _get(client, url, extra)
            times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        sql_ms.append(counter.seconds * 1000)
    times.sort()
    slowest_ms, slowest_sql = counter.slowest
    return {
        "url": url,
        "status": response.status_code,
        "bytes": len(response.content),
        "samples": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": times[-1],
        "queries": max(queries),
        "queries_vary": min(queries) != max(queries),
        "sql_p50_ms": percentile(sorted(sql_ms), 50),
        # Of the last request: where to look first when a page is slow.
        "slowest_sql_ms": slowest_ms * 1000,
        "slowest_sql": slowest_sql[:300],
    }


class QueryCounter:
    """Counts SQL statements and keeps the slowest (CaptureQueriesContext stops at 9,000,
    and a slow baseline page can run more than that)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.slowest = (0.0, "")

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.seconds += took
            self.slowest = max(self.slowest, (took, sql))


def _get(client, url, extra):
    response = client.get(url, **extra)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def percentile(sorted_values, pct):
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, -(-len(sorted_values) * pct // 100))  # ceil
    return sorted_values[int(rank) - 1]
