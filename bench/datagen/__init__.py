"""Bench data: organisations, customers, departments, staff, requests in every state with
their messages, department tasks and gapless event logs, goals and context facts.

Repeatable by seed (timestamps are relative to an anchor time, by default the current hour),
fast (COPY on PostgreSQL), and shaped like production: most requests closed long ago, a
minority open, a few customers and organisations far busier than the rest, and a thin tail of
requests with hundreds of events so page timings can show they do not depend on history size.

    generate(FULL, seed=1, reset=True)   # 100,000 requests, 1,000,000 events, 20,000 customers
"""

import base64
import itertools
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction

from helpdesk.models import (
    ContextFact,
    Customer,
    Department,
    DepartmentTask,
    Goal,
    Message,
    Organisation,
    Request,
    StaffMembership,
)
from helpdesk.models import Event as EventRow
from workflows.states import RequestStatus

from . import words
from .lifecycle import FINAL_STATES, FINAL_WEIGHTS, Life, Script, Simulator, event_rows
from .writer import Table, next_id, reset_sequences

S = RequestStatus
STAFF_PASSWORD = "bench"
CHUNK = 5_000
TAIL_SHARE, TAIL_LENGTH = 0.004, 30
TAIL_FACTOR = 1 + TAIL_SHARE * (TAIL_LENGTH - 1)


@dataclass(frozen=True)
class Scale:
    organisations: int
    customers: int
    requests: int
    events: int


FULL = Scale(organisations=2_000, customers=20_000, requests=100_000, events=1_000_000)
SMOKE = Scale(organisations=20, customers=200, requests=400, events=4_000)

# slug, name, description, (agents, leads, back office), share of incoming requests
DEPARTMENTS = (
    ("support", "Support", "First line: orders, deliveries, products, accounts.", (36, 4, 0), 70),
    ("sales", "Sales", "Quotes, renewals, volume pricing.", (6, 1, 2), 10),
    ("finance", "Finance", "Invoices, payments, refunds, credit notes.", (2, 1, 10), 12),
    ("fulfilment", "Fulfilment", "Warehouse, shipping, couriers.", (2, 1, 10), 8),
    ("manufacturing", "Manufacturing", "Builds, repairs, fault analysis.", (0, 1, 12), 0),
    ("legal", "Legal", "Contracts, warranty claims, compliance.", (0, 1, 3), 0),
)
ROLES = ("agent", "lead", "back_office")


def generate(scale, *, seed=1, anchor=None, reset=False, log=print):
    """Write a whole data set; return what was written (counts per table and status, time)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    anchor = anchor or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if reset:
        flush()
    departments = _departments()
    staff = _staff(rng, departments, seed, anchor)
    log(f"datagen: {len(staff['users'])} staff in {len(departments)} departments")
    customers = _customers(rng, scale, anchor)
    log(f"datagen: {scale.organisations:,} organisations, {scale.customers:,} customers")
    counts = _requests(rng, scale, anchor, departments, staff, customers, log)
    models = [User, Organisation, Customer, Request, Message, DepartmentTask, EventRow]
    models += [ContextFact, Goal, StaffMembership]
    reset_sequences(models)
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that
        # index-only scans (the console's sidebar counts) rely on. VACUUM cannot run inside a
        # transaction (a test's, say): statistics only, then.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return {
        "seed": seed,
        "organisations": scale.organisations,
        "customers": scale.customers,
        "staff": len(staff["users"]),
        **counts,
        "seconds": round(time.perf_counter() - started, 1),
    }


def count():
    """What the bench database holds now, in the shape `generate` reports it."""
    statuses = dict(Request.objects.values_list("status").annotate(n=models.Count("pk")))
    return {
        "organisations": Organisation.objects.count(),
        "customers": Customer.objects.count(),
        "staff": User.objects.count(),
        "requests": sum(statuses.values()),
        "events": EventRow.objects.count(),
        "messages": Message.objects.count(),
        "tasks": DepartmentTask.objects.count(),
        "by_status": {s: statuses.get(s, 0) for s in S.values},
    }


def flush():
    """Empty every Nucleus table (and, on PostgreSQL, whatever references them)."""
    tables = [m._meta.db_table for m in apps.get_app_config("helpdesk").get_models()]
    tables += [User._meta.db_table, "django_session"]
    tables += [f.remote_field.through._meta.db_table for f in User._meta.many_to_many]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _departments():
    result = []
    for slug, name, description, _, _ in DEPARTMENTS:
        dept, _ = Department.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        result.append((dept.pk, slug, name))
    return result


def _staff(rng, departments, seed, anchor):
    """Users and memberships; `support.agent1` and `finance.back_office1` are the bench logins."""
    password = make_password(STAFF_PASSWORD, salt=f"bench{seed}")
    user_id = next_id(User)
    users, memberships = [], []
    roster = {}
    joined = anchor - timedelta(days=800)
    for (dept_id, slug, _), (*_, sizes, _) in zip(departments, DEPARTMENTS, strict=True):
        console, leads, workers = [], [], []
        for role, size in zip(ROLES, sizes, strict=True):
            for i in range(1, size + 1):
                first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
                username = f"{slug}.{role}{i}"
                users.append(
                    (user_id, password, None, False, username, first, last,
                     f"{username}@nucleus.example", False, True, joined)
                )  # fmt: skip
                memberships.append((user_id, dept_id, role))
                member = (user_id, f"{first} {last}")
                (workers if role == "back_office" else console).append(member)
                if role == "lead":
                    leads.append(member)
                user_id += 1
        # Back-office clerks work a department's tasks; where there are none, its agents do.
        roster[dept_id] = {"console": console, "leads": leads, "workers": workers or console}
    users.append(
        (user_id, password, None, True, "bench.admin", "Bench", "Admin",
         "bench.admin@nucleus.example", True, True, joined)
    )  # fmt: skip
    user_columns = ["id", "password", "last_login", "is_superuser", "username", "first_name"]
    user_columns += ["last_name", "email", "is_staff", "is_active", "date_joined"]
    with transaction.atomic():
        Table(User, user_columns).write(users)
        Table(StaffMembership, ["user_id", "department_id", "role"]).write(memberships)
    return {"users": users, "roster": roster}


def _customers(rng, scale, anchor):
    """Organisations and customers, plus the goals and ERP/billing facts about them."""
    org_id, customer_id = next_id(Organisation), next_id(Customer)
    tiers = rng.choices(("standard", "premium", "enterprise"), (70, 22, 8), k=scale.organisations)
    orgs = []
    for i in range(scale.organisations):
        name = f"{rng.choice(words.ORG_WORDS)} {rng.choice(words.ORG_WORDS)} {i + 1} "
        orgs.append((org_id + i, name + rng.choice(words.ORG_KINDS), tiers[i], ""))
    # A few organisations hold many customers: a Zipf-like weight by rank.
    org_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(orgs))))
    customers = []
    for i in range(scale.customers):
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        org = (
            rng.choices(orgs, cum_weights=org_weights)[0] if orgs and rng.random() < 0.85 else None
        )
        domain = f"org{org[0]}.example" if org else "mail.example"
        email = f"{first}.{last}.{customer_id + i}@{domain}".lower()
        customers.append((customer_id + i, f"{first} {last}", email, org and org[0], ""))
    facts, goals = _facts_and_goals(rng, orgs, customers, anchor)
    with transaction.atomic():
        Table(Organisation, ["id", "name", "tier", "notes"]).write(orgs)
        Table(Customer, ["id", "name", "email", "organisation_id", "notes"]).write(customers)
        Table(
            ContextFact,
            ["customer_id", "organisation_id", "source", "external_id", "kind", "label",
             "value", "link", "observed_at"],
        ).write(facts)  # fmt: skip
        Table(Goal, ["customer_id", "organisation_id", "text", "status", "created_at"]).write(goals)
    tier_of = {org[0]: org[2] for org in orgs}
    # Requests per customer are skewed too: some customers write every week.
    weights = list(itertools.accumulate(rng.paretovariate(1.5) for _ in customers))
    return {"rows": customers, "cum_weights": weights, "tier_of": tier_of}


def _facts_and_goals(rng, orgs, customers, anchor):
    facts, goals = [], []
    for org in orgs:
        seen = anchor - timedelta(days=rng.randint(1, 400))
        facts.append((None, org[0], "crm", f"contract-{org[0]}", "contract",
                      f"{org[2].title()} contract", f"Renews {seen.date() + timedelta(days=365)}",
                      f"https://crm.example/contracts/{org[0]}", seen))  # fmt: skip
        if rng.random() < 0.3:
            goals.append((None, org[0], "Roll out the new product line", "active", seen))
    for cust in customers:
        for n in range(rng.choice((0, 1, 1, 2, 2, 3, 5))):
            number = cust[0] * 10 + n
            kind, source, label = rng.choice(
                (("order", "erp", f"Order {number}"), ("invoice", "billing", f"Invoice {number}"))
            )
            seen = anchor - timedelta(hours=rng.randint(1, 9000))
            facts.append((cust[0], None, source, f"{kind}-{number}", kind, label,
                          rng.choice(("Open", "Shipped", "Paid", "Overdue")),
                          f"https://{source}.example/{kind}s/{number}", seen))  # fmt: skip
        if rng.random() < 0.1:
            goals.append((cust[0], None, "Cut delivery times to two days", "active", anchor))
    return facts, goals


REQUEST_COLUMNS = [
    "id", "status", "escalation_level", "customer_id", "subject", "body", "channel", "priority",
    "department_id", "assignee_id", "public_token", "last_event_seq", "created_at",
    "updated_at", "resolved_at",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "id", "request_id", "kind", "author_user_id", "author_customer_id", "body", "is_markdown",
    "created_at",
]  # fmt: skip
TASK_COLUMNS = [
    "id", "status", "request_id", "customer_id", "department_id", "instructions", "due_at",
    "assignee_id", "created_by_id", "answer", "created_at", "updated_at", "finished_at",
]  # fmt: skip
EVENT_COLUMNS = [
    "request_id", "seq", "type", "actor_id", "visibility", "payload", "created_at",
    "published_at",
]  # fmt: skip


def _requests(rng, scale, anchor, departments, staff, customers, log):
    tables = {
        "requests": Table(Request, REQUEST_COLUMNS),
        "messages": Table(Message, MESSAGE_COLUMNS),
        "tasks": Table(DepartmentTask, TASK_COLUMNS),
        "events": Table(EventRow, EVENT_COLUMNS),
    }
    sim = Simulator(
        rng,
        staff["roster"],
        departments,
        itertools.count(next_id(Message)).__next__,
        itertools.count(next_id(DepartmentTask)).__next__,
    )
    script = Script(sim, rng)
    owners = [d for d, spec in zip(departments, DEPARTMENTS, strict=True) if spec[4]]
    owner_weights = [spec[4] for spec in DEPARTMENTS if spec[4]]
    first_id = next_id(Request)
    counts = dict.fromkeys(tables, 0) | {"by_status": dict.fromkeys(S.values, 0)}
    for start in range(0, scale.requests, CHUNK):
        rows = {name: [] for name in tables}
        for n in range(start, min(start + CHUNK, scale.requests)):
            remaining = scale.requests - n
            mean = max(1.0, (scale.events - counts["events"] - len(rows["events"])) / remaining)
            life = _one_request(
                rng, script, first_id + n, owners, owner_weights, customers, anchor, mean, rows
            )
            counts["by_status"][life.status] += 1
        with transaction.atomic():
            for name, table in tables.items():
                table.write(rows[name])
                counts[name] += len(rows[name])
        log(f"datagen: {start + len(rows['requests']):,} requests, {counts['events']:,} events")
    return counts


def _one_request(rng, script, request_id, owners, owner_weights, customers, anchor, mean, rows):
    department = rng.choices(owners, owner_weights)[0]
    customer = rng.choices(customers["rows"], cum_weights=customers["cum_weights"])[0]
    slots = {
        "order": rng.randint(100_000, 999_999),
        "invoice": f"INV-{anchor.year - rng.randint(0, 1)}-{rng.randint(1, 99_999):05d}",
        "product": rng.choice(words.PRODUCTS),
        "qty": rng.choice((5, 10, 25, 50, 100, 250)),
        "department": rng.choice(("finance", "fulfilment", "manufacturing")),
        "tier": customers["tier_of"].get(customer[3], "standard"),
    }
    pool = words.SUBJECTS.get(department[1], words.SUBJECTS["support"])
    subject = rng.choice(pool).format(**slots)
    channel = rng.choices(("web", "email", "api", "phone"), (50, 35, 5, 10))[0]
    final = rng.choices(FINAL_STATES, FINAL_WEIGHTS)[0]
    # A request stops at the first round past its budget (about 2 events over on average),
    # and the long tail adds 0.4% x 29 to the mean: both are taken off so the total lands
    # near scale.events; `mean` follows what is left, which corrects the rest.
    budget = (mean - 2) / TAIL_FACTOR * (0.4 + 0.6 * rng.expovariate(1))
    if rng.random() < TAIL_SHARE:
        budget *= TAIL_LENGTH  # the long tail: a request argued over for months
    life = Life(request_id, department, customer[0])
    life.priority = rng.choices((1, 2, 3, 4), (15, 60, 20, 5))[0]
    script.play(life, final, budget, slots, subject, channel)
    times = _timeline(rng, final, life.step, anchor)
    body = script.customer_text(slots)
    token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    # The request row is saved just after its last event (event times add their seq in µs).
    saved_at = times[-1] + timedelta(microseconds=len(life.events) + 1)
    rows["requests"].append(
        (request_id, life.status, life.escalation_level, customer[0], subject, body, channel,
         life.priority, department[0], life.assignee, token,
         len(life.events), times[0], saved_at,
         times[life.resolved_step - 1] if life.resolved_step else None)
    )  # fmt: skip
    for message_id, step, kind, user, cust, text in life.messages:
        rows["messages"].append(
            (message_id, request_id, kind, user, cust, text, False, times[step - 1])
        )
    for t in life.tasks:
        due = times[t.created_step - 1] + t.due_in if t.due_in else None
        finished = times[t.finished_step - 1] if t.finished_step else None
        rows["tasks"].append(
            (t.id, t.status, request_id, customer[0], t.department[0], t.instructions, due,
             t.assignee, t.created_by, t.answer, times[t.created_step - 1],
             times[t.updated_step - 1], finished)
        )  # fmt: skip
    rows["events"].extend(event_rows(life, times))
    return life


def _timeline(rng, final, steps, anchor):
    """When each action happened: open requests are recent, closed ones spread over two years."""
    if final == S.NEW:
        start = anchor - timedelta(minutes=min(rng.expovariate(1 / 240), 4320) + 1)
        end = anchor
    elif final in (S.OPEN, S.WAITING_ON_CUSTOMER, S.WAITING_ON_DEPARTMENT):
        start = anchor - timedelta(days=min(rng.expovariate(1 / 4), 60) + 0.05)
        end = anchor - timedelta(minutes=rng.expovariate(1 / 120))
    else:
        age = rng.uniform(0.1, 14) if final == S.RESOLVED else 7 + 723 * rng.random() ** 1.3
        start = anchor - timedelta(days=age)
        end = start + timedelta(days=rng.expovariate(1 / 2), hours=1)
    end = min(max(end, start), anchor)
    span = (end - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(steps - 1))
    return [start] + [start + timedelta(seconds=s) for s in offsets]
