"""Who may do what, and what bad input gets: every refusal writes nothing."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from helpdesk.models import Priority, Request
from workflows import actions, permissions
from workflows.actions.validation import MAX_TEXT
from workflows.errors import InvalidInput, NotFound, NotPermitted

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def handed_off(request_in, agent, departments):
    """A support request with an open finance task: finance staff can see it."""
    request = request_in("open")
    task = actions.hand_off(
        request.pk, agent, department=departments["finance"], instructions="Refund order 42."
    )
    request.refresh_from_db()
    return request, task


# Console actions on a request: (name, call(request, actor, departments)).
REQUEST_ACTIONS = {
    "reply": lambda r, u, d: actions.reply(r.pk, u, "Hello"),
    "resolve": lambda r, u, d: actions.resolve(r.pk, u),
    "assign": lambda r, u, d: actions.assign(r.pk, u, None),
    "hand_off": lambda r, u, d: actions.hand_off(
        r.pk, u, department=d["manufacturing"], instructions="Build it."
    ),
    "change_priority": lambda r, u, d: actions.change_priority(r.pk, u, Priority.URGENT),
    "escalate": lambda r, u, d: actions.escalate(r.pk, u, reason="Late."),
    "revoke_status_link": lambda r, u, d: actions.revoke_status_link(r.pk, u),
}


@pytest.mark.parametrize("action", list(REQUEST_ACTIONS))
def test_back_office_with_a_task_can_see_but_not_work_the_request(
    action, handed_off, clerk, departments, footprint
):
    request, _ = handed_off
    assert permissions.can_view_request(clerk, request)
    before = footprint(request)
    with pytest.raises(NotPermitted):
        REQUEST_ACTIONS[action](request, clerk, departments)
    assert footprint(request) == before


@pytest.mark.parametrize("action", list(REQUEST_ACTIONS))
def test_back_office_of_the_owning_department_cannot_work_the_request(
    action, request_in, make_staff, departments, footprint
):
    request = request_in("open")
    back_office = make_staff("support_clerk", dept="support", role="back_office")
    before = footprint(request)
    with pytest.raises(NotPermitted):
        REQUEST_ACTIONS[action](request, back_office, departments)
    assert footprint(request) == before


def test_back_office_may_ask_the_owner_a_question(handed_off, clerk):
    request, task = handed_off
    note = actions.add_internal_note(request.pk, clerk, "Which card?", task=task)
    assert not note.is_public
    assert request.events.last().payload["task_id"] == task.pk


@pytest.fixture
def outsider(make_staff):
    """An agent of a department that neither owns the request nor has a task on it."""
    return make_staff("outsider", dept="fulfilment", role="agent")


OUTSIDER_ACTIONS = {
    **REQUEST_ACTIONS,
    "add_internal_note": lambda r, u, d: actions.add_internal_note(r.pk, u, "Psst"),
    "claim_task": lambda r, u, d: actions.claim_task(r.tasks.get().pk, u),
    "complete_task": lambda r, u, d: actions.complete_task(r.tasks.get().pk, u, answer="Ok"),
    "return_task": lambda r, u, d: actions.return_task(r.tasks.get().pk, u, reason="No"),
    "cancel_task": lambda r, u, d: actions.cancel_task(r.tasks.get().pk, u),
}


def test_another_departments_staff_cannot_see_the_request(handed_off, outsider):
    request, _ = handed_off
    assert not permissions.can_view_request(outsider, request)
    assert not permissions.visible_requests(outsider).filter(pk=request.pk).exists()


@pytest.mark.parametrize("action", list(OUTSIDER_ACTIONS))
def test_another_departments_staff_cannot_act(action, handed_off, outsider, departments, footprint):
    request, _ = handed_off
    before = footprint(request)
    with pytest.raises(NotPermitted):
        OUTSIDER_ACTIONS[action](request, outsider, departments)
    assert footprint(request) == before


TASK_ACTIONS = {
    "claim_task": lambda t, u: actions.claim_task(t.pk, u),
    "complete_task": lambda t, u: actions.complete_task(t.pk, u, answer="Done"),
    "return_task": lambda t, u: actions.return_task(t.pk, u, reason="Not ours"),
}


@pytest.mark.parametrize("action", list(TASK_ACTIONS))
@pytest.mark.parametrize(
    ("dept", "role"),
    [("manufacturing", "back_office"), ("support", "agent")],
    ids=["other_back_office", "owning_agent"],
)
def test_task_actions_belong_to_the_tasks_department(
    action, dept, role, handed_off, make_staff, footprint
):
    request, task = handed_off
    actor = make_staff("actor", dept=dept, role=role)
    before = footprint(request)
    with pytest.raises(NotPermitted):
        TASK_ACTIONS[action](task, actor)
    assert footprint(request) == before


def test_only_the_requests_owners_cancel_its_tasks(handed_off, clerk, agent, footprint):
    request, task = handed_off
    before = footprint(request)
    with pytest.raises(NotPermitted):
        actions.cancel_task(task.pk, clerk)
    assert footprint(request) == before
    actions.cancel_task(task.pk, agent)


@pytest.fixture
def escalated(request_in, agent):
    request = request_in("open")
    return actions.escalate(request.pk, agent, reason="Customer chased twice.")


@pytest.mark.parametrize(
    ("dept", "role"),
    [("support", "agent"), ("support", "back_office"), ("finance", "lead")],
    ids=["agent", "back_office", "lead_of_another_department"],
)
def test_deescalate_is_refused_below_lead(dept, role, escalated, make_staff, footprint):
    actor = make_staff("actor", dept=dept, role=role)
    before = footprint(escalated)
    with pytest.raises(NotPermitted):
        actions.deescalate(escalated.pk, actor, reason="Calm now.")
    assert footprint(escalated) == before


@pytest.mark.parametrize(
    ("dept", "role"),
    [("support", "lead"), ("finance", "admin"), (None, "superuser")],
    ids=["lead", "admin_of_any_department", "superuser"],
)
def test_leads_and_admins_deescalate(dept, role, escalated, make_staff):
    if role == "superuser":
        actor = User.objects.create_superuser("root", password="pw")
    else:
        actor = make_staff("actor", dept=dept, role=role)
    assert actions.deescalate(escalated.pk, actor, reason="Ok.").escalation_level == 0


# Bad input ---------------------------------------------------------------------------------

TOO_LONG = "x" * (MAX_TEXT + 1)


def past(hours=1):
    return timezone.now() - timedelta(hours=hours)


BAD_INPUT = {
    "empty_reply": lambda r, p: actions.reply(r.pk, p.agent, "   "),
    "too_long_reply": lambda r, p: actions.reply(r.pk, p.agent, TOO_LONG),
    "empty_note": lambda r, p: actions.add_internal_note(r.pk, p.agent, ""),
    "too_long_note": lambda r, p: actions.add_internal_note(r.pk, p.agent, TOO_LONG),
    "empty_customer_reply": lambda r, p: actions.customer_reply(r.pk, r.customer, "\n"),
    "too_long_customer_reply": lambda r, p: actions.customer_reply(r.pk, r.customer, TOO_LONG),
    "empty_instructions": lambda r, p: actions.hand_off(
        r.pk, p.agent, department=p.departments["finance"], instructions=""
    ),
    "past_due_time": lambda r, p: actions.hand_off(
        r.pk, p.agent, department=p.departments["finance"], instructions="x", due_at=past()
    ),
    "no_department": lambda r, p: actions.hand_off(
        r.pk, p.agent, department="finance", instructions="x"
    ),
    "empty_escalation_reason": lambda r, p: actions.escalate(r.pk, p.agent, reason=" "),
    "too_long_escalation_reason": lambda r, p: actions.escalate(r.pk, p.agent, reason="x" * 2001),
    "unknown_priority": lambda r, p: actions.change_priority(r.pk, p.agent, 9),
    "assignee_outside_department": lambda r, p: actions.assign(r.pk, p.agent, p.clerk),
    "empty_answer": lambda r, p: actions.complete_task(p.task.pk, p.clerk, answer=""),
    "empty_return_reason": lambda r, p: actions.return_task(p.task.pk, p.clerk, reason=""),
}


@pytest.fixture
def people(agent, clerk, departments, handed_off):
    return SimpleNamespace(agent=agent, clerk=clerk, departments=departments, task=handed_off[1])


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_and_writes_nothing(case, handed_off, people, footprint):
    request, _ = handed_off
    before = footprint(request)
    with pytest.raises(InvalidInput):
        BAD_INPUT[case](request, people)
    assert footprint(request) == before


@pytest.mark.parametrize(
    ("subject", "body"),
    [("", "Broken."), ("x" * 201, "Broken."), ("Refund", " "), ("Refund", TOO_LONG)],
    ids=["empty_subject", "long_subject", "empty_body", "long_body"],
)
def test_a_request_with_bad_input_is_not_opened(subject, body, customer, departments):
    with pytest.raises(InvalidInput):
        actions.open_request(
            customer=customer, subject=subject, body=body, department=departments["support"]
        )
    assert not Request.objects.exists()


def test_back_office_cannot_open_requests_for_customers(customer, departments, clerk):
    with pytest.raises(NotPermitted):
        actions.open_request(customer=customer, subject="Hi", body="Hi", actor=clerk)
    assert not Request.objects.exists()


def test_unknown_request_and_task_are_not_found(agent, clerk, db):
    with pytest.raises(NotFound):
        actions.reply(999_999, agent, "Hello")
    with pytest.raises(NotFound):
        actions.claim_task(999_999, clerk)
