"""What an action costs the database: it writes what changed and reads only what it needs.

Actions are the write path every screen waits on (bench: "Workflow actions"); these pin the
shape of their SQL so a change that quietly adds a statement or a full-row write shows here.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from helpdesk.models import Event, Request
from helpdesk.webhooks.models import WebhookEndpoint
from helpdesk.webhooks.tasks import deliver_webhooks
from tests.test_sla_clocks import H, make_policy, office_calendar
from workflows import actions
from workflows.models import Clock

pytestmark = pytest.mark.django_db


def statements(queries, table, verb):
    return [q["sql"] for q in queries if q["sql"].startswith(verb) and f'"{table}"' in q["sql"]]


def test_an_action_updates_only_the_request_columns_it_changed(request_in, agent):
    request = request_in("open")
    with CaptureQueriesContext(connection) as queries:
        actions.reply(request.pk, agent, "We are on it.")
    (update,) = statements(queries, "helpdesk_request", "UPDATE")
    assigned = update.split(" WHERE ")[0]
    assert '"status"' in assigned and '"last_event_seq"' in assigned
    assert '"updated_at"' in assigned
    assert '"body"' not in assigned and '"subject"' not in assigned
    request.refresh_from_db()
    assert request.status == "waiting_on_customer"
    assert request.body == "Order 42 arrived broken."


def test_without_a_policy_that_applies_a_new_clock_reads_no_clocks(request_in, agent, departments):
    request = request_in("open")
    with CaptureQueriesContext(connection) as queries:
        actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions="Refund it."
        )
    assert not statements(queries, "workflows_clock", "SELECT")


def test_with_a_policy_a_hand_off_starts_the_task_clock(request_in, agent, departments):
    office_calendar()
    make_policy()
    request = request_in("open")
    task = actions.hand_off(
        request.pk, agent, department=departments["finance"], instructions="Refund it."
    )
    assert task.clocks.filter(state="running").exists()


def test_a_status_change_names_the_departments_only_while_they_hold_the_request(
    request_in, agent, clerk, departments
):
    request = request_in("waiting_on_department")
    task = request.tasks.get()
    actions.complete_task(task.pk, clerk, answer="Refunded.")
    changes = Event.objects.filter(request=request, type="status_changed").order_by("seq")
    waiting, answered = [e.payload for e in changes][-2:]
    assert waiting["new"] == "waiting_on_department"
    assert waiting["departments"] == ["Finance"]
    assert answered["new"] == "open" and "departments" not in answered
    assert Request.objects.get(pk=request.pk).status == "open"


# Configuration every action consults (workflows.config) -------------------------------------


def queued_deliveries():
    return DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path).count()


def test_policies_and_endpoints_are_read_once_per_change_not_once_per_action(
    request_in, agent, departments
):
    make_policy()
    first, second = request_in("open"), request_in("open")
    actions.reply(first.pk, agent, "On it.")  # loads this process's copy
    with CaptureQueriesContext(connection) as queries:
        actions.reply(second.pk, agent, "On it.")
    assert not statements(queries, "workflows_slapolicy", "SELECT")
    assert not statements(queries, "webhooks_webhookendpoint", "SELECT")


def test_an_action_uses_an_endpoint_or_policy_from_the_moment_it_is_saved(
    request_in, agent, receiver
):
    request = request_in("open")
    actions.add_internal_note(request.pk, agent, "Before any endpoint.")
    assert queued_deliveries() == 0
    endpoint = WebhookEndpoint.objects.create(url=receiver.url(), scope="staff")
    actions.add_internal_note(request.pk, agent, "Seen by the endpoint.")
    assert queued_deliveries() == 1
    endpoint.active = False
    endpoint.save()
    actions.add_internal_note(request.pk, agent, "Not any more.")
    assert queued_deliveries() == 1

    make_policy(first_response=3 * H)
    answered = request_in("open")
    actions.reply(answered.pk, agent, "Any news?")
    actions.customer_reply(answered.pk, answered.customer, "Still broken.")
    assert Clock.objects.filter(request=answered, metric="next_response").exists()


def test_a_rolled_back_change_leaves_no_copy_behind(request_in, agent, receiver):
    """The token is random: a counter would give the next change the number the rolled-back
    one had, and this process would take its copy (with the endpoint) for current."""
    request = request_in("open")
    with pytest.raises(RuntimeError), transaction.atomic():
        WebhookEndpoint.objects.create(url=receiver.url(), scope="staff")
        actions.add_internal_note(request.pk, agent, "Inside the change.")
        raise RuntimeError("roll it back")
    make_policy()  # the next change
    actions.add_internal_note(request.pk, agent, "After it.")
    assert queued_deliveries() == 0
    assert not WebhookEndpoint.objects.exists()


def test_compiled_statements_give_what_their_querysets_give(request_in, agent, departments):
    from workflows.log import LOCK_REQUEST
    from workflows.sla.clocks import REQUEST_CLOCKS

    office_calendar()
    make_policy()
    request, other = request_in("open"), request_in("open")
    actions.hand_off(request.pk, agent, department=departments["finance"], instructions="Refund.")
    with transaction.atomic():
        (locked,) = LOCK_REQUEST.rows(request.pk)
        (again,) = LOCK_REQUEST.rows(other.pk)  # compiled once, another value in its place
    assert (locked.pk, locked.status, locked.created_at) == (
        request.pk,
        "waiting_on_department",
        request.created_at,
    )
    assert again.pk == other.pk
    assert locked.config_token is not None
    clocks = Clock.objects.filter(request=request).exclude(state=Clock.State.CANCELLED)
    expected = [(c.pk, c.metric, c.state, c.due_at, c.target) for c in clocks.order_by("pk")]
    found = [(c.pk, c.metric, c.state, c.due_at, c.target) for c in REQUEST_CLOCKS.rows(request.pk)]
    assert found == expected and any(c[1] == "answer" for c in found)


@pytest.mark.parametrize("request_id", [10**9, "x", None])
def test_an_action_on_no_such_request_is_not_found(agent, request_id):
    from workflows.errors import NotFound

    with pytest.raises(NotFound):
        actions.reply(request_id, agent, "Hello?")


def test_task_actions_update_only_the_task_columns_they_change(
    request_in, agent, clerk, departments
):
    request = request_in("open")
    task = actions.hand_off(
        request.pk, agent, department=departments["finance"], instructions="Refund order 42."
    )
    for act in (
        lambda: actions.claim_task(task.pk, clerk),
        lambda: actions.complete_task(task.pk, clerk, answer="Refunded."),
    ):
        with CaptureQueriesContext(connection) as queries:
            act()
        (update,) = statements(queries, "helpdesk_departmenttask", "UPDATE")
        assert '"instructions"' not in update.split(" WHERE ")[0]
    task.refresh_from_db()
    assert (task.status, task.assignee, task.answer) == ("done", clerk, "Refunded.")
    assert task.instructions == "Refund order 42." and task.finished_at is not None


def test_a_compiled_queryset_must_mention_its_value_once():
    from workflows.statements import Compiled

    twice = Compiled(
        lambda pk: Request.objects.filter(pk=pk) | Request.objects.filter(customer_id=pk)
    )
    with pytest.raises(ValueError, match="exactly once"):
        twice.rows(1)
