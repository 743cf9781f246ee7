"""SLA sweep cost with 1,000,000 open clocks of which 100 are due (smoke: 10,000).

The due query must be served by the partial index `sla_clock_due`, so its cost follows what
is due, not how many clocks are open. Measured side by side with the same query forced onto a
sequential scan (the baseline: what it would cost without the index), plus one real sweep
pass over the 100 due clocks. Everything runs in one transaction that is rolled back, so the
bench database is left as it was.
"""

import statistics
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.report import figure
from bench.timing import percentile
from helpdesk.models import Customer, Department, Request
from workflows.models import Clock, Metric
from workflows.sla import engine

DUE = 100
TARGET_MS = 5
RUNS = 200


class Rollback(Exception):
    """Raised to undo the bench data once measured."""


def run(smoke: bool) -> list[dict]:
    clocks = 10_000 if smoke else 1_000_000
    figures = []
    try:
        with transaction.atomic():
            seconds = _create(clocks)
            figures = _measure(clocks, seconds, runs=20 if smoke else RUNS)
            raise Rollback
    except Rollback:
        pass
    _reclaim()
    return figures


def _reclaim():
    """A rolled-back insert leaves its rows dead in the tables: 1,000,000 of them in the
    request table, ten times its size, which every later part (or a re-run of the pages on the
    same data) would then read through. VACUUM frees them and cuts the tail they fill off."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Request._meta.db_table}, {Clock._meta.db_table}")


# Data --------------------------------------------------------------------------------------


def _anchor():
    """A customer and department to hang the generated requests on (made if the set is empty)."""
    department = Department.objects.order_by("pk").first() or Department.objects.create(
        slug="sla-bench", name="SLA bench"
    )
    customer = Customer.objects.order_by("pk").first() or Customer.objects.create(
        name="SLA bench", email="sla-bench@nucleus.example"
    )
    return customer, department


def _create(count):
    """`count` open requests, each with a running resolution clock; the first DUE are overdue
    (breached a month ago), the rest are due over the next 30 days. Returns seconds taken."""
    started = time.perf_counter()
    customer, department = _anchor()
    if connection.vendor == "postgresql":
        _create_on_postgres(count, customer, department)
    else:
        _create_with_orm(count, customer, department)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + Clock._meta.db_table)
    return time.perf_counter() - started


def _create_on_postgres(count, customer, department):
    """One INSERT ... SELECT generate_series: a million rows in seconds, not minutes."""
    request_table, clock_table = Request._meta.db_table, Clock._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH made AS (
                INSERT INTO {request_table} (customer_id, department_id, subject, body, channel,
                    priority, public_token, last_event_seq, created_at, updated_at, status,
                    escalation_level)
                SELECT %(customer)s, %(department)s, 'SLA bench ' || g, '', 'web', 2,
                    'sla-bench-' || md5(random()::text || g), 0, now(), now(), 'open', 0
                FROM generate_series(1, %(count)s) AS g
                RETURNING id
            ), numbered AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n FROM made
            )
            INSERT INTO {clock_table} (request_id, department_id, metric, state, target,
                warn_after, used, started_at, resumed_at, due_at, warn_at, next_step_at)
            SELECT id, %(department)s, %(metric)s, 'running', interval '8 hours',
                interval '6 hours', interval '0', started, started,
                started + interval '8 hours', started + interval '6 hours',
                started + interval '6 hours'
            FROM (
                SELECT id, CASE WHEN n <= %(due)s THEN now() - interval '30 days'
                    ELSE now() + (n %% 43200) * interval '1 minute' END AS started
                FROM numbered
            ) AS s
            """,
            {
                "customer": customer.pk,
                "department": department.pk,
                "count": count,
                "due": DUE,
                "metric": Metric.RESOLUTION,
            },
        )


def _create_with_orm(count, customer, department, batch=5_000):
    """The embedded (SQLite) path: bulk inserts in batches."""
    now = timezone.now()
    for first in range(0, count, batch):
        size = min(batch, count - first)
        requests = Request.objects.bulk_create(
            Request(customer=customer, department=department, subject="SLA bench", body="")
            for _ in range(size)
        )
        clocks = []
        for n, request in enumerate(requests, start=first):
            started = now - timedelta(days=30) if n < DUE else now + timedelta(minutes=n % 43200)
            clocks.append(
                Clock(
                    request=request,
                    department=department,
                    metric=Metric.RESOLUTION,
                    target=timedelta(hours=8),
                    warn_after=timedelta(hours=6),
                    started_at=started,
                    resumed_at=started,
                    due_at=started + timedelta(hours=8),
                    warn_at=started + timedelta(hours=6),
                    next_step_at=started + timedelta(hours=6),
                )
            )
        Clock.objects.bulk_create(clocks)


# Measures ----------------------------------------------------------------------------------


def _due_sql(now):
    """The sweep's own query, exactly as the engine sends it."""
    queryset = engine.due_clocks(now).values_list("pk", "request_id")[: engine.BATCH]
    return queryset.query.sql_with_params()


def _time_query(sql, params, runs):
    samples = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples, len(rows)


def _explain(sql, params):
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" | ".join(str(col) for col in row) for row in cursor.fetchall())


def _without_indexes():
    """Make PostgreSQL scan the table: the cost the index saves."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return True


def _measure(clocks, generation_seconds, *, runs):
    now = timezone.now()
    sql, params = _due_sql(now)
    samples, found = _time_query(sql, params, runs)
    if found != DUE:
        raise RuntimeError(f"the due query found {found} clocks, expected {DUE}")
    size = f"{clocks:,} open clocks, {DUE} due"
    plan = _explain(sql, params)
    uses_index = "sla_clock_due" in plan

    started = time.perf_counter()
    looked_at, fired = engine.sweep(now=now)
    sweep_ms = (time.perf_counter() - started) * 1000
    if (looked_at, fired) != (DUE, DUE):
        raise RuntimeError(f"the sweep looked at {looked_at} and fired {fired}, expected {DUE}")

    indexed_p50 = percentile(samples, 50)
    figures = [
        figure(f"Due query p50 ({size})", indexed_p50, "ms", target=("<", TARGET_MS)),
        figure(f"Due query p95 ({size})", percentile(samples, 95), "ms"),
        figure(
            "Due query served by the sla_clock_due index",
            int(uses_index),
            "yes/no",
            target=(">=", 1),
            detail=plan,
        ),
        figure(f"Sweep pass firing {DUE} breaches", sweep_ms, "ms"),
        figure("Sweep cost per fired step", sweep_ms / max(fired, 1), "ms"),
        figure(
            f"Bench data: {clocks:,} clocks and requests",
            generation_seconds,
            "s",
            detail=f"Due query mean {statistics.fmean(samples):.3f} ms over {runs} runs",
        ),
    ]
    if _without_indexes():  # last: SET LOCAL holds until the rollback
        scan_samples, _ = _time_query(sql, params, max(3, runs // 20))
        figures.insert(
            1,
            figure(
                "Same query on a sequential scan (how much the index saves)",
                percentile(scan_samples, 50),
                "ms",
                baseline=indexed_p50,
            ),
        )
    return figures
