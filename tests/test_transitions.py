"""Every staff action from every state: the allowed ones move the request and log the right
events; the others raise Conflict naming what is allowed, and write nothing."""

from types import SimpleNamespace

import pytest

from helpdesk.models import DepartmentTask, Event, Priority
from workflows import actions
from workflows.errors import Conflict
from workflows.states import MAX_ESCALATION_LEVEL, RequestStatus, TaskStatus

pytestmark = pytest.mark.usefixtures("fast_passwords")

PUBLIC, INTERNAL = "public", "internal"
MOVED = ("status_changed", PUBLIC)
STATES = list(RequestStatus.values)
REFUSED = None

# What a Conflict names as allowed from each state.
ALLOWED = {
    "new": ["assign", "hand_off", "reply", "resolve"],
    "open": ["hand_off", "reply", "resolve"],
    "waiting_on_department": ["hand_off"],
    "waiting_on_customer": ["hand_off", "reply", "resolve"],
    "resolved": ["close", "reopen"],
    "closed": [],
}


def everywhere(*events):
    """Allowed from every state, and the state stays."""
    return {state: (list(events), state) for state in STATES}


# TABLE[action][state] = (events written, state after), or REFUSED.
TABLE = {
    "assign": {
        **everywhere(("assigned", INTERNAL)),
        "new": ([("assigned", INTERNAL), MOVED], "open"),
        "closed": REFUSED,
    },
    "transfer": {**everywhere(("transferred", INTERNAL)), "closed": REFUSED},
    "reply": {
        "new": ([("replied", PUBLIC), MOVED], "waiting_on_customer"),
        "open": ([("replied", PUBLIC), MOVED], "waiting_on_customer"),
        "waiting_on_department": ([("replied", PUBLIC)], "waiting_on_department"),
        "waiting_on_customer": ([("replied", PUBLIC)], "waiting_on_customer"),
        "resolved": REFUSED,
        "closed": REFUSED,
    },
    "add_internal_note": everywhere(("note_added", INTERNAL)),
    "hand_off": {
        "new": ([("task_created", INTERNAL), MOVED], "waiting_on_department"),
        "open": ([("task_created", INTERNAL), MOVED], "waiting_on_department"),
        "waiting_on_department": ([("task_created", INTERNAL)], "waiting_on_department"),
        "waiting_on_customer": ([("task_created", INTERNAL), MOVED], "waiting_on_department"),
        "resolved": REFUSED,
        "closed": REFUSED,
    },
    "resolve": {
        "new": ([MOVED], "resolved"),
        "open": ([MOVED], "resolved"),
        "waiting_on_department": REFUSED,
        "waiting_on_customer": ([MOVED], "resolved"),
        "resolved": REFUSED,
        "closed": REFUSED,
    },
    "reopen": {
        **dict.fromkeys(STATES, REFUSED),
        "resolved": ([MOVED, ("reopen", INTERNAL)], "open"),
    },
    "close": {**dict.fromkeys(STATES, REFUSED), "resolved": ([MOVED], "closed")},
    "customer_reply": {
        **everywhere(("customer_replied", PUBLIC)),
        "waiting_on_customer": ([("customer_replied", PUBLIC), MOVED], "open"),
        "resolved": ([("customer_replied", PUBLIC), MOVED], "open"),
        "closed": REFUSED,
    },
    "escalate": {**everywhere(("escalated", INTERNAL)), "resolved": REFUSED, "closed": REFUSED},
    "change_priority": {
        **everywhere(("priority_changed", INTERNAL)),
        "resolved": REFUSED,
        "closed": REFUSED,
    },
}

ACTIONS = {
    "assign": lambda r, p: actions.assign(r.pk, p.agent, p.lead),
    "transfer": lambda r, p: actions.transfer(r.pk, p.agent, p.departments["finance"]),
    "reply": lambda r, p: actions.reply(r.pk, p.agent, "We are on it."),
    "add_internal_note": lambda r, p: actions.add_internal_note(r.pk, p.agent, "Call them."),
    "hand_off": lambda r, p: actions.hand_off(
        r.pk, p.agent, department=p.departments["manufacturing"], instructions="Can we fix it?"
    ),
    "resolve": lambda r, p: actions.resolve(r.pk, p.agent),
    "reopen": lambda r, p: actions.reopen(r.pk, p.agent, reason="Not fixed after all."),
    "close": lambda r, p: actions.close(r.pk, p.agent),
    "customer_reply": lambda r, p: actions.customer_reply(r.pk, r.customer, "Any news?"),
    "escalate": lambda r, p: actions.escalate(r.pk, p.agent, reason="Chased twice."),
    "change_priority": lambda r, p: actions.change_priority(r.pk, p.agent, Priority.URGENT),
}


@pytest.fixture
def people(agent, lead, clerk, make_staff, departments):
    return SimpleNamespace(
        agent=agent,
        lead=lead,
        clerk=clerk,
        other_clerk=make_staff("clerk2", dept="finance", role="back_office"),
        departments=departments,
    )


def new_events(request, after_seq):
    return list(
        Event.objects.filter(request=request, seq__gt=after_seq)
        .order_by("seq")
        .values_list("type", "visibility", "payload")
    )


def test_the_table_covers_every_state():
    assert all(set(row) == set(STATES) for row in TABLE.values())
    assert set(ACTIONS) == set(TABLE)


@pytest.mark.parametrize(
    ("action", "state"),
    [(action, state) for action in TABLE for state in STATES],
    ids=lambda v: v,
)
def test_request_action_from_state(action, state, request_in, people, footprint, assert_gapless):
    request = request_in(state)
    before = footprint(request)
    expected = TABLE[action][state]

    if expected is REFUSED:
        with pytest.raises(Conflict) as refused:
            ACTIONS[action](request, people)
        assert refused.value.allowed == ALLOWED[state]
        assert refused.value.current_state == state
        assert footprint(request) == before
        return

    events, after = expected
    ACTIONS[action](request, people)
    written = new_events(request, before["request"][2])
    assert [(type_, visibility) for type_, visibility, _ in written] == events
    for type_, _, payload in written:
        if type_ == "status_changed":
            assert (payload["old"], payload["new"]) == (state, after)
    request.refresh_from_db()
    assert request.status == after
    assert_gapless(request)


# Department tasks --------------------------------------------------------------------------

TASK_STATES = list(TaskStatus.values)
TASK_ALLOWED_WHILE_ACTIVE = ["cancel", "complete", "return"]


def task_finishes(event_type, task_state):
    """The request's only task finishes, so the request goes back to its owner."""
    return ([(event_type, INTERNAL), MOVED], task_state, "open")


# TASK_TABLE[action][task state] = (events, task state after, request state after), or REFUSED.
TASK_TABLE = {
    "claim": {
        "open": ([("task_claimed", INTERNAL)], "claimed", "waiting_on_department"),
        **dict.fromkeys(["claimed", "done", "returned", "cancelled"], REFUSED),
    },
    **{
        action: {
            **dict.fromkeys(["open", "claimed"], task_finishes(event_type, task_state)),
            **dict.fromkeys(["done", "returned", "cancelled"], REFUSED),
        }
        for action, event_type, task_state in [
            ("complete", "task_completed", "done"),
            ("return", "task_returned", "returned"),
            ("cancel", "task_cancelled", "cancelled"),
        ]
    },
}

TASK_ACTIONS = {
    # Another clerk than the one who claims it in the set-up.
    "claim": lambda t, p: actions.claim_task(t.pk, p.other_clerk),
    "complete": lambda t, p: actions.complete_task(t.pk, p.clerk, answer="Refunded £40."),
    "return": lambda t, p: actions.return_task(t.pk, p.clerk, reason="Not ours."),
    "cancel": lambda t, p: actions.cancel_task(t.pk, p.agent, reason="Sorted already."),
}

BRING_TASK = {
    "open": lambda t, p: None,
    "claimed": lambda t, p: actions.claim_task(t.pk, p.clerk),
    "done": lambda t, p: actions.complete_task(t.pk, p.clerk, answer="Done."),
    "returned": lambda t, p: actions.return_task(t.pk, p.clerk, reason="Wrong team."),
    "cancelled": lambda t, p: actions.cancel_task(t.pk, p.agent),
}


@pytest.fixture
def task_in(request_in, people):
    """task_in(state): a finance task of an open request, brought into `state` by actions."""

    def bring(state):
        request = request_in("open")
        task = actions.hand_off(
            request.pk, people.agent, department=people.departments["finance"], instructions="x"
        )
        BRING_TASK[state](task, people)
        task.refresh_from_db()
        assert task.status == state
        return task

    return bring


@pytest.mark.parametrize(
    ("action", "state"),
    [(action, state) for action in TASK_TABLE for state in TASK_STATES],
    ids=lambda v: v,
)
def test_task_action_from_state(action, state, task_in, people, footprint, assert_gapless):
    task = task_in(state)
    request = task.request
    before = footprint(request)
    expected = TASK_TABLE[action][state]

    if expected is REFUSED:
        with pytest.raises(Conflict) as refused:
            TASK_ACTIONS[action](task, people)
        active = state in ("open", "claimed")
        assert refused.value.allowed == (TASK_ALLOWED_WHILE_ACTIVE if active else [])
        assert refused.value.current_state == state
        assert footprint(request) == before
        return

    events, task_after, request_after = expected
    TASK_ACTIONS[action](task, people)
    written = new_events(request, before["request"][2])
    assert [(type_, visibility) for type_, visibility, _ in written] == events
    assert written[0][2]["task_id"] == task.pk
    task.refresh_from_db()
    request.refresh_from_db()
    assert (task.status, request.status) == (task_after, request_after)
    assert_gapless(request)


def test_claiming_your_own_claimed_task_again_writes_nothing(task_in, people, footprint):
    task = task_in("claimed")
    before = footprint(task.request)
    actions.claim_task(task.pk, people.clerk)
    assert footprint(task.request) == before


@pytest.mark.parametrize("finish_last", ["complete", "return", "cancel"])
def test_request_goes_back_to_open_when_its_last_open_task_finishes(
    finish_last, request_in, people, assert_gapless
):
    request = request_in("open")
    first, second = (
        actions.hand_off(
            request.pk, people.agent, department=people.departments["finance"], instructions=text
        )
        for text in ("Refund the order.", "Send a credit note.")
    )
    actions.complete_task(first.pk, people.clerk, answer="Refunded.")
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_ON_DEPARTMENT

    seq = request.last_event_seq
    TASK_ACTIONS[finish_last](second, people)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert [t for t, _, _ in new_events(request, seq)][-1] == "status_changed"
    assert not DepartmentTask.objects.filter(request=request, status__in=["open", "claimed"])
    assert_gapless(request)


# Escalation level ---------------------------------------------------------------------------


def test_escalation_climbs_to_the_top_then_refuses(request_in, people, footprint):
    request = request_in("open")
    for level in range(1, MAX_ESCALATION_LEVEL + 1):
        assert actions.escalate(request.pk, people.agent, reason="Late.").escalation_level == level
    before = footprint(request)
    with pytest.raises(Conflict) as refused:
        actions.escalate(request.pk, people.agent, reason="Later still.")
    assert refused.value.allowed == ["deescalate"]
    assert footprint(request) == before


def test_deescalating_a_request_that_is_not_escalated_is_refused(request_in, people, footprint):
    request = request_in("open")
    before = footprint(request)
    with pytest.raises(Conflict) as refused:
        actions.deescalate(request.pk, people.lead, reason="Calm now.")
    assert refused.value.allowed == ["escalate"]
    assert footprint(request) == before


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("resolved", "A resolved request cannot be escalated; reopen it first."),
        ("closed", "A closed request cannot be escalated."),
    ],
)
def test_escalating_a_finished_request_says_why_and_what_is_left(
    state, message, request_in, people
):
    request = request_in(state)
    with pytest.raises(Conflict) as refused:
        actions.escalate(request.pk, people.agent, reason="Late.")
    assert refused.value.message == message
    allowed_now = ", ".join(ALLOWED[state]) or "none"
    assert str(refused.value).endswith(f"(state: {state}; allowed now: {allowed_now})")


def test_the_sla_ladder_cannot_escalate_a_resolved_request_either(request_in, footprint):
    request = request_in("resolved")
    before = footprint(request)
    with pytest.raises(Conflict):
        actions.escalate(request.pk, None, reason="SLA: first response breached", automatic=True)
    assert footprint(request) == before


def test_an_escalation_can_be_wound_down_after_resolving_but_not_once_closed(
    request_in, people, footprint
):
    request = request_in("open")
    for _ in range(2):
        actions.escalate(request.pk, people.agent, reason="Late.")
    actions.resolve(request.pk, people.agent)
    assert actions.deescalate(request.pk, people.lead, reason="Done.").escalation_level == 1
    actions.close(request.pk, people.agent)
    before = footprint(request)
    with pytest.raises(Conflict) as refused:
        actions.deescalate(request.pk, people.lead, reason="Tidy up.")
    assert refused.value.message == "A closed request cannot be de-escalated."
    assert refused.value.allowed == []
    assert footprint(request) == before


def test_deescalate_writes_an_internal_event(request_in, people, assert_gapless):
    request = request_in("open")
    escalated = actions.escalate(request.pk, people.agent, reason="Late.")
    seq = escalated.last_event_seq
    actions.deescalate(request.pk, people.lead, reason="Calm now.")
    assert [(t, v) for t, v, _ in new_events(request, seq)] == [("deescalated", INTERNAL)]
    request.refresh_from_db()
    assert request.escalation_level == 0
    assert_gapless(request)


# Stale forms --------------------------------------------------------------------------------

STALE = {
    "assign": ("open", lambda r, p, seq: actions.assign(r.pk, p.agent, p.lead, expected_seq=seq)),
    "reply": ("open", lambda r, p, seq: actions.reply(r.pk, p.agent, "Hi", expected_seq=seq)),
    "hand_off": (
        "open",
        lambda r, p, seq: actions.hand_off(
            r.pk, p.agent, department=p.departments["finance"], instructions="x", expected_seq=seq
        ),
    ),
    "resolve": ("open", lambda r, p, seq: actions.resolve(r.pk, p.agent, expected_seq=seq)),
    "reopen": ("resolved", lambda r, p, seq: actions.reopen(r.pk, p.agent, expected_seq=seq)),
    "close": ("resolved", lambda r, p, seq: actions.close(r.pk, p.agent, expected_seq=seq)),
    "escalate": (
        "open",
        lambda r, p, seq: actions.escalate(r.pk, p.agent, reason="Late.", expected_seq=seq),
    ),
    "change_priority": (
        "open",
        lambda r, p, seq: actions.change_priority(r.pk, p.agent, Priority.HIGH, expected_seq=seq),
    ),
}


@pytest.mark.parametrize("action", list(STALE))
def test_a_stale_expected_seq_is_refused_and_writes_nothing(action, request_in, people, footprint):
    state, act = STALE[action]
    request = request_in(state)
    before = footprint(request)
    with pytest.raises(Conflict) as refused:
        act(request, people, request.last_event_seq - 1)
    assert refused.value.allowed == ALLOWED[state]
    assert footprint(request) == before

    act(request, people, request.last_event_seq)  # the fresh form goes through
    assert footprint(request) != before
