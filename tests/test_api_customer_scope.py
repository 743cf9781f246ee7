"""A customer token never reads internal data: markers planted in notes, task instructions,
answers and reasons appear in no answer it gets, from any endpoint, in any state."""

import pytest

from helpdesk.api.testing import token_client
from workflows import actions

pytestmark = pytest.mark.usefixtures("fast_passwords")

MARKER = "ZQX-INTERNAL-7731"
STAFF_SURNAME = "Hiddensurname"


@pytest.fixture
def worked_request(new_request, agent, clerk, departments, make_staff):
    """A request that went through every internal corner, each carrying the marker."""
    agent.last_name = STAFF_SURNAME
    agent.save()
    rid = new_request.pk
    actions.assign(rid, agent, agent)
    actions.add_internal_note(rid, agent, f"Customer is difficult {MARKER}")
    task = actions.hand_off(
        rid, agent, department=departments["finance"], instructions=f"Refund {MARKER}"
    )
    actions.add_internal_note(rid, clerk, f"Which card? {MARKER}", task=task)
    actions.complete_task(task.pk, clerk, answer=f"Refunded {MARKER}")
    second = actions.hand_off(
        rid, agent, department=departments["manufacturing"], instructions=f"Check {MARKER}"
    )
    maker = make_staff("maker", dept="manufacturing", role="back_office")
    actions.return_task(second.pk, maker, reason=f"Not ours {MARKER}")
    third = actions.hand_off(
        rid, agent, department=departments["fulfilment"], instructions=f"Ship {MARKER}"
    )
    actions.cancel_task(third.pk, agent, reason=f"Never mind {MARKER}")
    actions.escalate(rid, agent, reason=f"VIP {MARKER}")
    actions.reply(rid, agent, "We refunded you.")
    actions.customer_reply(rid, new_request.customer, "Thanks!")
    actions.resolve(rid, agent)
    actions.reopen(rid, agent, reason=f"Reopened because {MARKER}")
    new_request.refresh_from_db()
    return new_request


def test_the_marker_is_really_there_for_staff(worked_request, agent):
    staff = token_client("staff", user=agent)
    events = staff.get(f"/api/requests/{worked_request.pk}/events/").content.decode()
    detail = staff.get(f"/api/requests/{worked_request.pk}/").content.decode()
    assert MARKER in events and MARKER in detail and STAFF_SURNAME in events


def test_no_customer_answer_carries_internal_data(worked_request, customer):
    api = token_client("customer", customer=customer)
    base = f"/api/requests/{worked_request.pk}/"
    task = worked_request.tasks.first()
    answers = [
        api.get("/api/requests/"),
        api.get(base),
        *(api.get(base + "events/", after=after) for after in range(worked_request.last_event_seq)),
        api.post(base + "reply/", {"body": "One more thing"}),
        api.post(base + "reply/", {"body": "One more thing"}, key="k1"),
        api.post(base + "reply/", {"body": "One more thing"}, key="k1"),  # a replay
        *(api.post(base + f"{action}/") for action in ("note", "hand-off", "resolve", "close")),
        api.post(f"{base}tasks/{task.pk}/complete/", {"answer": "x"}),
        api.post("/api/requests/", {"subject": "New one", "body": "Hello"}),
    ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    events = api.get(base + "events/").json()["results"]
    assert {e["type"] for e in events} >= {"request_opened", "replied", "customer_replied"}
    assert all(e["type"] not in ("note_added", "task_created", "escalated") for e in events)
    assert any(e["message"] and e["message"]["body"] == "We refunded you." for e in events)
    assert any(e["message"] and e["message"]["author"] == "Agent" for e in events)
    for answer in answers:
        text = answer.content.decode()
        assert MARKER not in text, answer.request["PATH_INFO"]
        assert STAFF_SURNAME not in text


def test_public_events_carry_only_allow_listed_fields(worked_request, customer):
    api = token_client("customer", customer=customer)
    for event in api.get(f"/api/requests/{worked_request.pk}/events/").json()["results"]:
        assert set(event) == {
            "request_id",
            "seq",
            "type",
            "created_at",
            "message",
            "status",
            "status_text",
            "subject",
        }
        assert "payload" not in event and "actor" not in event
