"""The console queues: who sees what, filters, search, keyset pages and the live refresh."""

import re
from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
import time_machine
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from hypothesis import strategies as st

from helpdesk import pagination, search, selectors
from helpdesk.console import queues
from helpdesk.models import Priority, Request
from tests.test_sla_clocks import MONDAY, H, make_policy, office_calendar
from workflows import actions, permissions

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def rows(response):
    return [int(pk) for pk in re.findall(r'id="row-(\d+)"', response.content.decode())]


def open_request(customer, department, subject="Help", body="Something broke.", **extra):
    return actions.open_request(
        customer=customer, subject=subject, body=body, department=department, **extra
    )


@pytest.fixture
def board(agent, make_staff, customer, departments):
    """One support request in each spot the queues tell apart, plus one finance request."""
    colleague = make_staff("colleague")
    support = departments["support"]
    made = {
        "new": open_request(customer, support, "New and unassigned"),
        "mine": open_request(customer, support, "Mine and open"),
        "colleagues": open_request(customer, support, "A colleague's"),
        "handed": open_request(customer, support, "Handed to finance"),
        "asked": open_request(customer, support, "Waiting on the customer"),
        "resolved": open_request(customer, support, "Resolved already"),
        "finance": open_request(customer, departments["finance"], "Finance's own"),
    }
    actions.assign(made["mine"].pk, agent, agent)
    actions.assign(made["colleagues"].pk, colleague, colleague)
    actions.assign(made["handed"].pk, agent, agent)
    actions.hand_off(
        made["handed"].pk, agent, department=departments["finance"], instructions="Refund it."
    )
    actions.assign(made["asked"].pk, agent, agent)
    actions.reply(made["asked"].pk, agent, "Which order?")
    actions.assign(made["resolved"].pk, agent, agent)
    actions.resolve(made["resolved"].pk, agent)
    return {name: request.pk for name, request in made.items()}


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("mine", {"mine", "handed", "asked"}),
        ("departments", {"new", "mine", "colleagues", "handed", "asked"}),
        ("unassigned", {"new"}),
        ("waiting_departments", {"handed"}),
        ("waiting_customer", {"asked"}),
        ("open", {"new", "mine", "colleagues", "handed", "asked"}),
        ("done", {"resolved"}),
    ],
)
def test_each_queue_holds_its_requests_and_only_visible_ones(agent, board, queue, expected):
    response = client_for(agent).get(f"/console/?queue={queue}")
    assert response.status_code == 200
    assert set(rows(response)) == {board[name] for name in expected}
    counts = dict(
        re.findall(
            r'data-queue="(\w+)".*?</span>(?:<span class="count">(\d+)<)?',
            response.content.decode(),
            re.DOTALL,
        )
    )
    # The archive of resolved and closed requests is not counted: it would read all of it.
    assert counts[queue] == ("" if queue == "done" else str(len(expected)))


def test_a_finance_agent_sees_its_own_requests_and_those_handed_to_it(make_staff, board):
    finance_agent = make_staff("fin-agent", dept="finance")
    response = client_for(finance_agent).get("/console/?queue=open")
    assert set(rows(response)) == {board["finance"], board["handed"]}


def test_rows_show_customer_status_priority_assignee_and_open_tasks(agent, board):
    html = client_for(agent).get("/console/?queue=mine").content.decode()
    handed = html[html.index(f'id="row-{board["handed"]}"') :].split("</tr>")[0]
    assert "Handed to finance" in handed and "Ann Customer" in handed and "Acme Ltd" in handed
    assert "Waiting on department" in handed and "Normal" in handed
    assert "Agent" in handed  # the assignee
    assert ">Finance</span>" in handed  # the open task's department
    assert f'href="{reverse("console:request", args=[board["handed"]])}"' in handed


@pytest.mark.parametrize("name", ["console:request", "inbox:task"])
def test_links_are_the_urls_reverse_gives(name):
    links = selectors.Links(name)

    assert [links[pk] for pk in (1, 42, 100_000)] == [
        reverse(name, args=[pk]) for pk in (1, 42, 100_000)
    ]


def test_action_links_are_the_urls_reverse_gives():
    links = selectors.Links("console:act", 7)

    assert links["hand_off"] == reverse("console:act", args=[7, "hand_off"])


def test_back_office_staff_are_sent_to_their_inbox(clerk):
    response = client_for(clerk).get("/console/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_login_is_required():
    response = Client().get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_filters_narrow_the_queue_and_bad_values_are_ignored(agent, board, departments):
    actions.change_priority(board["new"], agent, Priority.URGENT)
    client = client_for(agent)
    assert rows(client.get("/console/?queue=open&priority=4")) == [board["new"]]
    assert rows(client.get("/console/?queue=open&status=waiting_on_customer")) == [board["asked"]]
    finance = departments["finance"].pk
    assert rows(client.get(f"/console/?queue=open&department={finance}")) == []
    junk = "/console/?queue=nope&priority=x&status=evil&department=%27&cursor=bad"
    response = client.get(junk)
    assert response.status_code == 200
    assert rows(response) == rows(client.get("/console/?queue=mine"))


def test_search_finds_subjects_message_bodies_and_ids(agent, board):
    actions.add_internal_note(board["colleagues"], agent, "The warehouse lost the pallet.")
    client = client_for(agent)
    assert rows(client.get("/console/?queue=open&q=customer")) == [board["asked"]]
    assert rows(client.get("/console/?queue=open&q=pallet")) == [board["colleagues"]]
    assert rows(client.get("/console/?queue=open&q=Which+order")) == [board["asked"]]
    assert rows(client.get(f"/console/?queue=open&q=%23{board['mine']}")) == [board["mine"]]
    assert rows(client.get("/console/?queue=open&q=nothing-like-this")) == []
    assert rows(client.get("/console/?queue=open&q=%23" + "9" * 30)) == []  # not an id
    assert "match these filters" in client.get("/console/?queue=open&q=zzz").content.decode()


def test_full_text_search_on_postgres_stems_and_uses_the_gin_indexes(
    requires_postgres, agent, customer, departments
):
    support = departments["support"]
    refund = open_request(customer, support, "Refunding an order", "It arrived broken.")
    note = open_request(customer, support, "Another thing")
    actions.add_internal_note(note.pk, agent, "The invoices were duplicated")
    open_request(customer, support, "Unrelated", "Nothing to see.")
    visible = Request.objects.all()
    assert list(search.matching(visible, "refunds").values_list("pk", flat=True)) == [refund.pk]
    assert list(search.matching(visible, "invoice").values_list("pk", flat=True)) == [note.pk]
    with CaptureQueriesContext(connection) as queries:
        search.matching(visible, "refund")
    estimate, hits = queries.captured_queries[:2]  # then which of them the queue holds
    assert estimate["sql"].startswith("EXPLAIN") and "UNION ALL" in hits["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {hits['sql']}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "request_search" in plan and "message_search" in plan


def test_the_requests_of_a_departments_tasks_are_read_from_an_index_alone(requires_postgres, agent):
    """Every queue asks which requests hold a task of the reader's departments (the
    visibility test); that reads one index, not the rows of every task they ever had."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {permissions.visible_requests(agent).query}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "Index Only Scan using task_department_request" in plan


def matched(queryset):
    return list(queryset.order_by("-updated_at", "-pk").values_list("pk", flat=True))


def test_search_reads_few_hits_as_a_list_and_many_by_how_common_they_are_in_the_queue(
    monkeypatch, agent, customer, departments
):
    """Each way of searching (search.matching) finds the same requests: a short list of hits,
    the queue read in order testing each row (the word is common in it; PostgreSQL only), or
    the queue joined with every hit (common elsewhere, rare in this queue), with or without
    reading the first hits."""
    support, finance = departments["support"], departments["finance"]
    ours = [open_request(customer, support, f"Damaged parcel {n}") for n in range(4)]
    actions.add_internal_note(ours[0].pk, agent, "Second parcel damaged too")
    quiet = [open_request(customer, support, f"Question {n}") for n in range(4)]
    theirs = [open_request(customer, finance, f"Damaged invoice {n}") for n in range(4)]
    support_queue = Request.objects.filter(department=support)
    expected = matched(Request.objects.filter(pk__in=[r.pk for r in ours]))

    monkeypatch.setattr(search, "FEW", 10)  # 9 hits: a list
    found = search.matching(support_queue, "damaged")
    assert "UNION" not in str(found.query) and "EXISTS" not in str(found.query)
    assert matched(found) == expected

    monkeypatch.setattr(search, "FEW", 3)  # more hits than that
    monkeypatch.setattr(search, "SAMPLE", 8)
    monkeypatch.setattr(search, "COMMON", 4)  # 4 of the 8 newest support requests match
    found = search.matching(support_queue, "damaged")
    if connection.vendor == "postgresql":
        assert "EXISTS" in str(found.query)  # read in order, each row tested
    assert matched(found) == expected

    monkeypatch.setattr(search, "COMMON", 5)  # not common enough in this queue
    found = search.matching(support_queue, "damaged")
    assert "UNION" in str(found.query)
    assert matched(found) == expected
    assert {r.pk for r in quiet + theirs}.isdisjoint(matched(found))

    monkeypatch.setattr(search, "FEW", 10)  # few hits, but PostgreSQL estimates many:
    monkeypatch.setattr(search, "MANY", 0)  # they are not read first
    found = search.matching(support_queue, "damaged")
    assert ("UNION" in str(found.query)) == (connection.vendor == "postgresql")
    assert matched(found) == expected


def test_keyset_pages_walk_every_row_once_even_with_equal_times(
    agent, customer, departments, monkeypatch
):
    monkeypatch.setattr(queues, "PAGE_SIZE", 4)
    made = [open_request(customer, departments["support"], f"R{n}").pk for n in range(11)]
    # Several rows changed in the same microsecond: the id must break the tie.
    Request.objects.filter(pk__in=made[3:8]).update(updated_at=timezone.now())
    client = client_for(agent)
    seen, url, pages = [], "/console/?queue=open", 0
    while url:
        response = client.get(url)
        seen += rows(response)
        pages += 1
        cursor = re.search(r'href="([^"]*cursor=[^"]+)" rel="next"', response.content.decode())
        url = cursor.group(1).replace("&amp;", "&") if cursor else None
    assert pages == 3
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    expected = list(
        Request.objects.filter(pk__in=made)
        .order_by("-updated_at", "-pk")
        .values_list("pk", flat=True)
    )
    assert seen == expected


def test_cursor_round_trips_to_the_microsecond():
    moment = timezone.now().replace(microsecond=123456)
    assert pagination.decode(pagination.encode(moment, 42)) == (moment, 42)
    assert pagination.decode("garbage") is None
    assert pagination.decode(None) is None
    assert pagination.decode("99999999999999999999999.1") is None


def test_an_htmx_refresh_answers_the_rows_with_counts_and_badge_out_of_band(agent, board):
    response = client_for(agent).get("/console/?queue=mine&q=order", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert html.lstrip().startswith('<div id="queue-list"')
    assert 'hx-get="/console/?queue=mine&amp;q=order"' in html  # refreshes with its filters
    assert "data-refresh-on-poke" in html and 'hx-trigger="nucleus:poke"' in html
    assert 'id="queue-nav" aria-label="Queues" hx-swap-oob="true"' in html
    assert 'id="inbox-badge"' in html and 'hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]
    assert rows(response) == [board["asked"]]


def test_the_page_connects_the_live_list_socket(agent, board):
    html = client_for(agent).get("/console/").content.decode()
    assert 'ws-connect="/ws/live/"' in html and 'id="list-poke"' in html


@pytest.fixture
def support_sla(departments):
    office_calendar()
    return make_policy()  # first response within 2 business hours, warning at 75%


def test_breaching_soon_lists_requests_past_their_warning_soonest_first(
    agent, customer, departments, support_sla
):
    support = departments["support"]
    with time_machine.travel(MONDAY + 9 * H, tick=False):
        first = open_request(customer, support, "Opened at nine")
    with time_machine.travel(MONDAY + 9.5 * H, tick=False):
        second = open_request(customer, support, "Opened at half past nine")
    with time_machine.travel(MONDAY + 10 * H, tick=False):
        calm = open_request(customer, support, "Opened at ten")
    client = client_for(agent)
    with time_machine.travel(MONDAY + 11.25 * H, tick=False):
        response = client.get("/console/?queue=breaching")
        html = response.content.decode()
        assert rows(response) == [first.pk, second.pk]
        assert "sla-breached" in html and "sla-warning" in html
        assert calm.pk in rows(client.get("/console/?queue=open"))
        assert "sla-ok" in client.get("/console/?queue=open").content.decode()


def test_every_queue_page_renders_for_an_admin_without_departments(db, board):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", password="pw")
    client = client_for(admin)
    for queue in queues.QUEUES:
        assert client.get(f"/console/?queue={queue.slug}").status_code == 200
    assert set(rows(client.get("/console/?queue=open"))) >= {board["finance"], board["new"]}


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 00:30 GMT, just before the clocks go forward
        datetime(2026, 7, 4, 23, 5, tzinfo=UTC),  # 00:05 BST on the 5th
        datetime(2025, 12, 31, 9, 0, tzinfo=UTC),  # a year before "now"
    ],
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_moment_reads_as_the_date_filters_would(value, language):
    """Rows and timeline entries show selectors.Moment in place of |date and |naturaltime."""
    filters = engines["django"].from_string(
        "{% load humanize %}{{ v|date:'c' }}|{{ v|date:'j M Y, H:i' }}|{{ v|date:'j M, H:i' }}|"
        "{{ v|date:'D j M, H:i' }}|{{ v|naturaltime }}"
    )
    travel = time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False)
    with travel, translation.override(language):
        moment = selectors.Moment(value)
        shown = f"{moment.iso}|{moment.full}|{moment.short}|{moment.with_weekday}|{moment.ago}"
        assert shown == filters.render({"v": value})


@pytest.mark.parametrize(
    "text",
    ["", "short", "x" * 10, "x" * 11, "A longer line of text that goes on", "Cafe\u0301 au lait"],
)
def test_shortened_gives_what_truncator_gives(text):
    assert selectors.shortened(text, 10) == Truncator(text).chars(10)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    offset=st.integers(min_value=-3 * 366 * 86400, max_value=3 * 366 * 86400),
    language=st.sampled_from(["en-gb", "de", "fr", "pl"]),
)
def test_a_moment_ago_reads_as_naturaltime(offset, language):
    """Moment.ago keeps |naturaltime's filled-in phrases per language: the text stays its own,
    past and future, in languages with one, two or three plural forms."""
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    value = now + timedelta(seconds=offset)
    with time_machine.travel(now, tick=False), translation.override(language):
        assert selectors.Moment(value).ago == naturaltime(value)
