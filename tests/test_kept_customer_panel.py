"""The customer panel kept rendered (helpdesk.customer_panel): a page opened again asks nothing
for it, and whatever it shows, once changed anywhere, shows on the next load."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.models import ContextFact, Customer, Goal, StaffMembership
from workflows import actions

pytestmark = pytest.mark.django_db

# What only the panel asks: goals, facts, and the customer's other requests and tasks.
PANEL_SQL = re.compile(r'"helpdesk_goal"|"helpdesk_contextfact"|"customer_id" = \d')


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes that commit: what waits for the commit (the tokens' replacement) runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def panel(client, req, path="/console/r/{}/"):
    response = client.get(path.format(req.pk))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="customer-panel"') :].split("</section>")[0]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_page_opened_again_asks_nothing_for_the_panel(agent_client, customer, new_request):
    Goal.objects.create(customer=customer, text="Ship the spring range")
    first = panel(agent_client, new_request)
    with CaptureQueriesContext(connection) as queries:
        again = panel(agent_client, new_request)
    assert again == first and "Ship the spring range" in again
    assert not [q for q in queries if PANEL_SQL.search(q["sql"])]


def test_the_customers_other_requests_show_as_they_move(
    agent_client, agent, clerk, customer, departments, new_request, committed
):
    panel(agent_client, new_request)
    with committed():
        other = actions.open_request(
            customer=customer, subject="Second parcel", body="b", department=departments["support"]
        )
    html = panel(agent_client, new_request)
    assert "Second parcel" in html.split("Past requests")[0]
    with committed():
        task = actions.hand_off(
            other.pk, agent, department=departments["finance"], instructions="Refund?"
        )
    assert "Refund?" in panel(agent_client, new_request)
    with committed():
        actions.complete_task(task.pk, clerk, answer="Refunded.")
        actions.resolve(other.pk, agent)
    assert "Second parcel" in panel(agent_client, new_request).split("Past requests")[1]


def test_facts_goals_and_names_show_on_the_next_load(
    agent_client, customer, new_request, committed
):
    panel(agent_client, new_request)
    with committed():
        ContextFact.objects.create(
            customer=customer,
            source="erp",
            label="Credit limit",
            value="5k",
            observed_at=timezone.now(),
        )
        Goal.objects.create(organisation=customer.organisation, text="Open a second warehouse")
        customer.notes = "Prefers phone calls."
        customer.save()
    html = panel(agent_client, new_request)
    assert "Credit limit" in html and "Open a second warehouse" in html
    assert "Prefers phone calls." in html
    with committed():
        customer.organisation.name = "Acme Holdings"
        customer.organisation.save()
    assert "Acme Holdings" in panel(agent_client, new_request)


def test_a_colleagues_organisation_goal_shows_on_their_panels_too(
    agent_client, customer, departments, committed
):
    colleague = Customer.objects.create(
        name="Col League", email="col@example.com", organisation=customer.organisation
    )
    theirs = actions.open_request(
        customer=colleague, subject="Invoice copy", body="b", department=departments["support"]
    )
    panel(agent_client, theirs)
    with committed():
        Goal.objects.create(organisation=customer.organisation, text="Consolidate invoices")
    assert "Consolidate invoices" in panel(agent_client, theirs)


def test_each_reader_gets_the_links_they_may_open(make_staff, customer, departments, new_request):
    """An admin's panel links every other request, and so does the one of the department that
    owns it; an agent of another department, reading the same panel next, gets the same
    requests named but not linked."""
    elsewhere = actions.open_request(
        customer=customer, subject="Finance matter", body="b", department=departments["finance"]
    )
    link = f'href="/console/r/{elsewhere.pk}/"'
    assert link in panel(logged_in(make_staff("boss", role="admin")), new_request)
    lead = make_staff("lead", dept="finance", role="lead")
    StaffMembership.objects.create(user=lead, department=departments["support"], role="agent")
    assert link in panel(logged_in(lead), new_request)
    html = panel(logged_in(make_staff("agent2")), new_request)
    assert "Finance matter" in html and link not in html


def test_the_task_page_shows_the_panel_kept_with_the_same_care(
    agent, clerk, customer, departments, new_request, committed
):
    task = actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions="Refund?"
    )
    clerk_client = logged_in(clerk)
    path = f"/inbox/t/{task.pk}/"
    panel(clerk_client, new_request, path)
    with committed():
        ContextFact.objects.create(
            customer=customer, source="billing", label="Overdue invoice", observed_at=timezone.now()
        )
    assert "Overdue invoice" in panel(clerk_client, new_request, path)


def test_a_note_keeps_the_panel(agent_client, agent, new_request, committed):
    """The panel shows the customer's other requests' subjects and states: an action on this
    one that changes neither renders it again for nothing."""
    panel(agent_client, new_request)
    with committed():
        actions.add_internal_note(new_request.pk, agent, "Called the customer.")
    with CaptureQueriesContext(connection) as queries:
        panel(agent_client, new_request)
    assert not [q for q in queries if PANEL_SQL.search(q["sql"])]
