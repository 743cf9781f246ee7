"""Workflow actions per second on the bench database: transition + event + publish.

Each worker process cycles its own requests through the same five actions a busy desk mixes
(an internal note, a hand-off to finance, finance completing the task, a public reply, the
customer answering), so every action is valid whatever came before and every one commits
its events and publishes them. Requests are visited round-robin, so consecutive actions do
not wait on one another's row lock; processes never share a request.
"""

import multiprocessing
import os
import time

from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from bench.report import figure
from bench.timing import percentile
from helpdesk.models import Department, Request
from workflows import actions
from workflows.states import RequestStatus

TARGET_PER_SECOND = 500
PROCESSES = (1, 2, 4)  # one process per core is how the service is deployed; 4 shows the ceiling
CYCLE = ("note", "hand_off", "complete_task", "reply", "customer_reply")


class Desk:
    """The people who act: a support agent owns the requests, a finance clerk does the tasks."""

    def __init__(self):
        self.agent = User.objects.get(username="support.agent1")
        self.clerk = User.objects.get(username="finance.back_office1")
        self.finance = Department.objects.get(slug="finance")


class Loop:
    """Runs `act` over and over in one process, keeping each call's latency and the CPU
    seconds spent by this process and by its database server process."""

    def __init__(self, requests):
        self.requests = requests
        self.latencies = []
        self.cpu = {"python": 0.0, "postgresql": None}

    def run_for(self, seconds, stop_at=None):
        done = 0
        connection.ensure_connection()
        backend = connection.connection.info.backend_pid
        python, server = time.process_time(), backend_cpu(backend)
        deadline = time.perf_counter() + seconds
        try:
            while time.perf_counter() < deadline and (stop_at is None or done < stop_at):
                started = time.perf_counter()
                self.act(done)
                self.latencies.append(time.perf_counter() - started)
                done += 1
            self.cpu["python"] = time.process_time() - python
            if server is not None:
                self.cpu["postgresql"] = backend_cpu(backend) - server
        finally:
            connection.close()  # each process has its own connection
        return done


def backend_cpu(pid):
    """CPU seconds of a PostgreSQL server process, when it runs on this machine (else None)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Worker(Loop):
    """One process's share of the requests; where each request is in the cycle is kept in
    `state`, shared across runs, so a request's next action always follows its last one."""

    def __init__(self, desk, requests, state):
        super().__init__(requests)  # [(request_id, customer)]
        self.desk = desk
        self.position = state["position"]
        self.task_of = state["task_of"]

    def act(self, index):
        return self.step(*self.requests[index % len(self.requests)])

    def step(self, request_id, customer):
        """The request's next action in the cycle."""
        step = CYCLE[self.position.get(request_id, 0) % len(CYCLE)]
        self.position[request_id] = self.position.get(request_id, 0) + 1
        desk = self.desk
        if step == "note":
            actions.add_internal_note(request_id, desk.agent, "Checked the order history.")
        elif step == "hand_off":
            task = actions.hand_off(
                request_id,
                desk.agent,
                department=desk.finance,
                instructions="Please confirm the refund was paid.",
            )
            self.task_of[request_id] = task.pk
        elif step == "complete_task":
            actions.complete_task(self.task_of.pop(request_id), desk.clerk, answer="Paid Monday.")
        elif step == "reply":
            actions.reply(request_id, desk.agent, "Finance confirms the refund was paid.")
        else:
            actions.customer_reply(request_id, customer, "Thanks, I can see it now.")
        return step


class BareWrite(Loop):
    """The floor under any action: lock the request row, insert one row, commit (one fsync).

    It writes to a scratch table, never to Nucleus's own, so the bench data stays what the
    workflows wrote."""

    TABLE = "bench_bare_write"

    def act(self, index):
        request_id, _ = self.requests[index % len(self.requests)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_event_seq FROM helpdesk_request WHERE id = %s FOR UPDATE",
                [request_id],
            )
            cursor.execute(
                f"INSERT INTO {self.TABLE} (request_id, payload) VALUES (%s, %s)",
                [request_id, '{"message_id": 1}'],
            )

    @classmethod
    def table(cls, create):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {cls.TABLE}")
            if create:
                cursor.execute(
                    f"CREATE TABLE {cls.TABLE} (id bigserial PRIMARY KEY, request_id bigint,"
                    " payload jsonb, created_at timestamptz DEFAULT now())"
                )


def stagger(worker):
    """Bring request i i % len(CYCLE) steps into the cycle (this also warms caches and plans).

    Every measured run then sees the five actions in equal shares, however many steps it
    takes: started together, the requests would all be at the same step, and a short run
    would measure mostly internal notes and hand-offs while the next one measured mostly
    completed tasks and replies. Returns the cycle state the runs go on from."""
    for index, request in enumerate(worker.requests):
        for _ in range(index % len(CYCLE)):
            worker.step(*request)
    return {"position": worker.position, "task_of": worker.task_of}


def working_set(count):
    """Open support requests with no department task running, with their customers."""
    rows = (
        Request.objects.filter(department__slug="support", status=RequestStatus.OPEN)
        .select_related("customer")
        .order_by("pk")[:count]
    )
    return [(r.pk, r.customer) for r in rows]


def _run_share(job):
    """In a child process: one loop over its share; its count, latencies and cycle state."""
    kind, requests, state, seconds, limit = job
    loop = Worker(Desk(), requests, state) if kind == "actions" else BareWrite(requests)
    started = time.perf_counter()
    done = loop.run_for(seconds, limit)
    return done / (time.perf_counter() - started), loop.latencies, state, (done, loop.cpu)


def measure(kind, parts, state, seconds, limit):
    """Calls/s of one process per part, in parallel, like several web workers; the cycle
    state comes back so the next run continues where each request stands."""
    connections.close_all()  # children open their own connections
    jobs = [(kind, part, state, seconds, limit) for part in parts]
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        results = pool.map(_run_share, jobs)
    for part, (_, _, child_state, _) in zip(parts, results, strict=True):
        for request_id, _ in part:  # each child's own requests only: the rest are stale there
            for key, values in state.items():
                if request_id in child_state[key]:
                    values[request_id] = child_state[key][request_id]
                else:
                    values.pop(request_id, None)
    latencies = sorted(x for _, share, _, _ in results for x in share)
    return sum(rate for rate, _, _, _ in results), latencies, cpu_per_call(results)


def cpu_per_call(results):
    """Mean CPU milliseconds per call: {"python": ms, "postgresql": ms or None}."""
    calls = sum(done for _, _, _, (done, _) in results) or 1
    per_call = {}
    for side in ("python", "postgresql"):
        spent = [cpu[side] for _, _, _, (_, cpu) in results]
        per_call[side] = None if None in spent else sum(spent) / calls * 1000
    return per_call


def split(requests, parts):
    share = len(requests) // parts
    return [requests[i * share : (i + 1) * share] for i in range(parts)]


def queries_per_action(desk, request):
    """SQL statements each action runs (one full cycle on one request)."""
    worker = Worker(desk, [request], {"position": {}, "task_of": {}})
    counts = {}
    for index in range(len(CYCLE)):
        with CaptureQueriesContext(connection) as queries:
            step = worker.act(index)
        counts[step] = len(queries)
    return counts


def run(smoke):
    desk = Desk()
    requests = working_set(40 if smoke else 2_000)
    if len(requests) < 6:
        raise RuntimeError("too few open support requests in the bench data")
    seconds, limit = (30, 25) if smoke else (10, None)
    queries = queries_per_action(desk, requests.pop())
    state = stagger(Worker(desk, requests, {"position": {}, "task_of": {}}))
    figures = []
    BareWrite.table(create=True)
    try:
        for processes in PROCESSES:
            label = f"{processes} process{'es' if processes > 1 else ''}"
            parts = split(requests, processes)
            bare, _, _ = measure("bare", parts, state, seconds, limit)
            rate, latencies, cpu = measure("actions", parts, state, seconds, limit)
            figures += [
                figure(
                    f"Actions per second ({label})",
                    rate,
                    "actions/s",
                    baseline=bare,
                    target=(">=", TARGET_PER_SECOND) if processes > 1 else None,
                    detail=None if processes > 1 else BASELINE_NOTE,
                ),
                figure(f"Action latency p50 ({label})", percentile(latencies, 50) * 1000, "ms"),
                figure(f"Action latency p95 ({label})", percentile(latencies, 95) * 1000, "ms"),
                *cpu_figures(label, cpu),
            ]
    finally:
        BareWrite.table(create=False)
    figures.append(
        figure(
            "SQL statements per action (max)",
            max(queries.values()),
            "queries",
            detail="Per action: " + ", ".join(f"{k} {v}" for k, v in queries.items()),
        )
    )
    return figures


def cpu_figures(label, cpu):
    """Where an action's time goes: CPU in the worker and in PostgreSQL, and the rate the
    machine's cores could sustain at that cost if nothing else ran on them."""
    figures = [figure(f"Python CPU per action ({label})", cpu["python"], "ms")]
    if cpu["postgresql"] is None:
        return figures
    total = cpu["python"] + cpu["postgresql"]
    ceiling = os.cpu_count() * 1000 / total if total else None
    return [
        *figures,
        figure(f"PostgreSQL CPU per action ({label})", cpu["postgresql"], "ms"),
        figure(
            f"CPU ceiling on {os.cpu_count()} cores ({label})",
            ceiling,
            "actions/s",
            detail=f"{os.cpu_count()} cores x 1,000 ms / {total:.2f} ms of CPU per action "
            "(Python + PostgreSQL; Redis and the kernel not counted).",
        ),
    ]


BASELINE_NOTE = (
    "Baseline: bare durable transactions per second on the same database and processes "
    "(lock the request row, insert one row, commit), the ceiling any action sits under. "
    "Actions cycle: internal note, hand-off to finance, finance completes the task, public "
    "reply, customer reply. Actors are loaded once, so their department roles stay cached "
    "as they would within one web request."
)
