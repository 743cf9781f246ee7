"""Every list page costs the same number of SQL queries for 5 rows as for 50.

Rows carry what the pages show (customer and organisation, assignee, open tasks, SLA badges),
so a lookup per row would show up here as a count that grows with the rows.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpdesk.models import Customer, Organisation
from helpdesk.selectors import PAGE_ENTRIES
from tests.test_sla_clocks import make_policy, office_calendar
from workflows import actions

pytestmark = pytest.mark.django_db

# Measured: queue 11, its htmx refresh 9, inbox 10, its refresh 8, task page 18 (session, user,
# memberships, the nav badges and the email attachments included; one fewer each when scaled, as
# the shared cache holds the session); slack for the shared layout.
# A search adds three to the queue on PostgreSQL: how many hits the planner expects, its first
# hits, then which of them the queue holds.
MAX_QUERIES = {"queue": 14, "queue_htmx": 10, "inbox": 11, "inbox_htmx": 9, "task_page": 19}


@pytest.fixture
def world(agent, clerk, make_staff, departments, django_capture_on_commit_callbacks):
    """make(n): n support requests, each from its own customer and organisation, assigned,
    handed to finance and commented on; half of the tasks claimed by the clerk. Their events
    are published as after a commit, which tells the lists to count again."""
    office_calendar()
    make_policy()
    colleague = make_staff("colleague")

    def make(n):
        with django_capture_on_commit_callbacks(execute=True):
            return [make_one(n, i) for i in range(n)]

    def make_one(n, i):
        org = Organisation.objects.create(name=f"Org {n}-{i}")
        customer = Customer.objects.create(
            name=f"Customer {i}", email=f"c{n}-{i}@example.com", organisation=org
        )
        request = actions.open_request(
            customer=customer,
            subject=f"Request {i}",
            body="Please help.",
            department=departments["support"],
        )
        actions.assign(request.pk, agent, agent if i % 2 else colleague)
        actions.add_internal_note(request.pk, agent, f"Note {i}")
        task = actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions=f"Task {i}"
        )
        if i % 2:
            actions.claim_task(task.pk, clerk)
        return task

    return make


def count(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), response


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


PAGES = [
    ("queue", "agent", "/console/?queue=open", {}),
    ("queue", "agent", "/console/?queue=departments&priority=2&q=Request", {}),
    ("queue_htmx", "agent", "/console/?queue=waiting_departments", {"HTTP_HX_REQUEST": "true"}),
    ("inbox", "clerk", "/inbox/", {}),
    ("inbox_htmx", "clerk", "/inbox/?tab=open", {"HTTP_HX_REQUEST": "true"}),
]


@pytest.mark.parametrize(("page", "who", "url", "headers"), PAGES)
def test_list_pages_cost_the_same_queries_for_5_and_50_rows(
    world, agent, clerk, django_assert_max_num_queries, page, who, url, headers
):
    client = logged_in({"agent": agent, "clerk": clerk}[who])
    world(5)
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        few, response = count(client, url, **headers)
    assert response.content.decode().count("<tr id=") == 5
    world(45)
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        many, response = count(client, url, **headers)
    assert response.content.decode().count("<tr id=") == 50
    assert few == many


def test_task_page_costs_the_same_queries_for_a_short_and_a_long_history(
    world, agent, clerk, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = logged_in(clerk)
    task = world(1)[0]
    with django_assert_max_num_queries(MAX_QUERIES["task_page"]):
        short, _ = count(client, f"/inbox/t/{task.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(45):
            actions.add_internal_note(task.request_id, agent, f"More {n}")
            actions.hand_off(
                task.request_id, agent, department=task.department, instructions=f"{n}"
            )
    with django_assert_max_num_queries(MAX_QUERIES["task_page"]):
        long, response = count(client, f"/inbox/t/{task.pk}/")
    assert response.content.decode().count('class="entry') == PAGE_ENTRIES
    assert short == long
