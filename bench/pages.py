"""The pages people keep open, timed on the full data set: server time and SQL per request.

Each page is fetched with Django's test Client, logged in as the person who would use it (a
support agent for the console, a finance clerk for the inbox, nobody for the status page),
so the whole stack runs (middleware, session, view, template) without a network in between.
"Constant queries" is checked by pairing pages that differ only in size: a queue page of 50
rows against one of a single row, a page far back in a queue against its first page, a
request with hundreds of events against a typical one.
The query count of the big one is the value, the small one's the baseline: ratio 1 holds.
Pages keep their timelines and the customer panel rendered (helpdesk.timeline,
helpdesk.customer_panel): the timings are of a page opened again, and the request page is
timed twice more: as the first load after an internal note (the run is missed, its entries
but the new one are kept, and the panel is) and with every entry and the panel rendered
afresh (as after a rename); query counts are always of that last case.
"""

import re
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench.report import figure
from bench.timing import QueryCounter, time_get
from helpdesk import timeline
from helpdesk.models import DepartmentTask, Message, Request
from helpdesk.pagination import encode
from realtime import counts
from workflows import actions
from workflows.states import ACTIVE_REQUEST_STATES, ACTIVE_TASK_STATES, RequestStatus

DONE = (RequestStatus.RESOLVED, RequestStatus.CLOSED)
DEEP_ROW = 30_000  # about page 600 of the resolved & closed queue at full scale
AGENT = "support.agent1"
CLERK = "finance.back_office1"
P95_TARGET_MS = 50
SEARCH_TARGET_MS = 200


@dataclass(frozen=True)
class Samples:
    """The rows the pages are opened on, chosen from whatever the bench database holds."""

    typical: Request  # active, a median history, otherwise like the longest (see samples)
    longest: Request  # the support request with the most events
    task: DepartmentTask  # an open finance task
    order_number: str  # appears in one or a few subjects: a needle for search
    deep_cursor: str  # a "done" queue page far back (keyset pagination should not care)


def samples():
    support = Request.objects.filter(department__slug="support")
    longest = support.order_by("-last_event_seq", "pk").first()
    # Like for like: the typical request holds public replies and tasks too, and is in the
    # longest one's state where it can be (the status page names the departments holding a
    # request only while it waits on them), so a query that only runs for such entries or
    # such a state counts on both sides of the comparison.
    active = support.filter(
        status__in=ACTIVE_REQUEST_STATES,
        pk__in=Message.objects.filter(kind=Message.Kind.REPLY).values("request_id"),
    ).filter(pk__in=DepartmentTask.objects.values("request_id"))
    if active.filter(status=longest.status).exists():
        active = active.filter(status=longest.status)
    count = active.count()
    if not count:
        raise RuntimeError("the bench data has no active support request")
    typical = active.order_by("last_event_seq", "pk")[count // 2]
    task = (
        DepartmentTask.objects.filter(department__slug="finance", status__in=ACTIVE_TASK_STATES)
        .order_by("pk")
        .first()
    )
    subject = support.filter(subject__regex=r"order [0-9]{6}").values_list("subject", flat=True)
    order_number = re.search(r"[0-9]{6}", subject.first() or "000000").group()
    done = support.filter(status__in=DONE).order_by("-updated_at", "-pk")
    deep = done[min(DEEP_ROW, done.count() // 2)]
    return Samples(typical, longest, task, order_number, encode(deep.updated_at, deep.pk))


_clients = {}


def client_for(username):
    """A logged-in Client per user (None: an anonymous customer), kept for the whole run."""
    if username not in _clients:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        _clients[username] = client
    return _clients[username]


def time_page(url, username, *, smoke, before_each=None):
    """Timed as it comes (`before_each`, untimed: an event, or a correction); its SQL count is
    the most it runs: with the kept list counts (realtime.counts) and timeline counted
    afresh, as they are after a correction, or the two pages of a pair could be compared with
    one of them inside that window and the other not."""
    client = client_for(username)
    result = time_get(client, url, iterations=5 if smoke else 100, before_each=before_each)
    counts.events_published()
    timeline.details_corrected()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        client.get(url)
    result["queries"] = max(result["queries"], counter.count)
    return result


def queue_url(queue, **params):
    query = "&".join(f"{k}={v}" for k, v in {"queue": queue, **params}.items())
    return f"{reverse('console:queue')}?{query}"


def run(smoke):
    s = samples()
    request_url = reverse("console:request", args=[s.typical.pk])
    longest_url = reverse("console:request", args=[s.longest.pk])
    status_url = reverse("status:page", args=[s.typical.public_token])
    status_longest_url = reverse("status:page", args=[s.longest.public_token])
    typical, longest = s.typical.last_event_seq, s.longest.last_event_seq
    # (name, url, who, the smaller twin for the query-count check or None)
    pages = [
        (
            "Console queue (my departments, 50 rows)",
            queue_url("departments"),
            AGENT,
            ("one row", queue_url("departments", q=s.typical.pk)),
        ),
        (
            "Console queue (resolved & closed, 50 rows, far back)",
            queue_url("done", cursor=s.deep_cursor),
            AGENT,
            ("first page", queue_url("done")),
        ),
        (
            f"Request page ({longest} events)",
            longest_url,
            AGENT,
            (f"{typical} events", request_url),
        ),
        ("Inbox (open finance tasks)", reverse("inbox:tasks"), CLERK, None),
        ("Task page", reverse("inbox:task", args=[s.task.pk]), CLERK, None),
        (
            f"Status page ({longest} events)",
            status_longest_url,
            None,
            (f"{typical} events", status_url),
        ),
    ]
    figures = []
    for name, url, who, twin in pages:
        big = time_page(url, who, smoke=smoke)
        figures.append(_p95(name, big, P95_TARGET_MS))
        small = time_page(twin[1], who, smoke=smoke) if twin else None
        figures.append(_queries(name, big, small, twin))
    # The request page above finds its timeline and customer panel kept, as a page opened
    # again does. After a note, the run is rendered again from its kept entries and the new
    # one, beside the kept panel; after a correction (a rename), both from nothing, as on the
    # first view of a request nobody has watched.
    agent = User.objects.get(username=AGENT)
    note = partial(actions.add_internal_note, s.longest.pk, agent, "Checked the order history.")
    for label, before_each in (
        ("first load after a note", note),
        ("timeline and customer panel rendered afresh", timeline.details_corrected),
    ):
        result = time_page(longest_url, AGENT, smoke=smoke, before_each=before_each)
        figures.append(_p95(f"Request page ({longest} events), {label}", result, P95_TARGET_MS))
    searches = [
        ("a common word, open requests", queue_url("open", q="damaged")),
        ("a common word, resolved & closed", queue_url("done", q="damaged")),
        ("two words", queue_url("done", q="wrong+VAT")),
        ("an order number", queue_url("done", q=s.order_number)),
        ("a request number", queue_url("done", q=f"%23{s.longest.pk}")),
    ]
    results = [(label, time_page(url, AGENT, smoke=smoke)) for label, url in searches]
    worst = max(r["p95_ms"] for _, r in results)
    figures.append(
        figure(
            "Search p95 (slowest of 5 searches)",
            worst,
            "ms",
            target=("<", SEARCH_TARGET_MS),
            detail="\n\n".join(f"{label}: {describe(r)}" for label, r in results),
        )
    )
    return figures


def _p95(name, result, target_ms):
    return figure(
        f"{name} p95",
        result["p95_ms"],
        "ms",
        target=("<", target_ms),
        detail=describe(result),
    )


def describe(result):
    """One page's numbers in words, with the statement to look at first when it is slow."""
    vary = " (varies between requests)" if result["queries_vary"] else ""
    return (
        f"{result['url']}\n"
        f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms over {result['samples']} requests; "
        f"{result['bytes']:,} bytes\n"
        f"{result['queries']} SQL statements{vary}, {result['sql_p50_ms']:.1f} ms in SQL (p50); "
        f"slowest {result['slowest_sql_ms']:.1f} ms:\n  {result['slowest_sql']}"
    )


def _queries(name, big, small, twin):
    """SQL per request; against the smaller twin when there is one (constant: ratio <= 1)."""
    if small is None:
        return figure(f"{name} SQL queries", big["queries"], "queries")
    return figure(
        f"{name} SQL queries (baseline: {twin[0]})",
        big["queries"],
        "queries",
        baseline=small["queries"],
        target=("<=", 1),
        of="ratio",
    )
