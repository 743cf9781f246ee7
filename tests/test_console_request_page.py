"""The request page and its actions over HTTP: clear 4xx answers, never a 500."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.text import Truncator

from helpdesk.models import Event
from workflows import actions

pytestmark = pytest.mark.django_db


def test_page_shows_conversation_context_and_allowed_buttons(agent_client, agent, new_request):
    actions.add_internal_note(new_request.pk, agent, "check the stock first")
    response = agent_client.get(f"/console/r/{new_request.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Order 42 arrived broken." in html
    assert "check the stock first" in html and "Internal note" in html
    assert "Ann Customer" in html and "Acme Ltd" in html
    assert 'data-action="resolve"' in html
    assert 'data-action="close"' not in html  # not allowed from "new"
    assert f'data-seq="{new_request.last_event_seq + 1}"' in html
    for action in ("resolve", "assign", "reply", "note", "hand_off", "revoke_link"):
        url = f"/console/r/{new_request.pk}/{action}/"
        assert f'action="{url}" hx-post="{url}"' in html, action


def test_reply_through_htmx_writes_one_event_and_returns_a_fresh_composer(
    agent_client, new_request
):
    response = agent_client.post(
        f"/console/r/{new_request.pk}/reply/", {"body": "We are on it"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="composer"' in response.content.decode()
    assert list(Event.objects.filter(request=new_request).values_list("type", flat=True)) == [
        "request_opened",
        "replied",
        "status_changed",
    ]


def test_hand_off_through_htmx_returns_a_fresh_empty_hand_off_form(
    agent_client, departments, new_request
):
    response = agent_client.post(
        f"/console/r/{new_request.pk}/hand_off/",
        {"department": departments["finance"].pk, "instructions": "Refund order 42"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="handoff-panel"' in html and 'id="handoff-instructions"' in html
    assert "Refund order 42" not in html  # the text sent is not typed in again
    assert new_request.tasks.count() == 1


def test_own_controls_refresh_carries_the_composer_and_the_hand_off_panel(
    agent_client, agent, new_request
):
    """The user's poke reloads these with the buttons: resolving hides the reply composer and
    the hand-off form, and each part says which state it shows so the page can keep text."""
    url = f"/console/r/{new_request.pk}/actions/"
    before = agent_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-live-key="reply"' in before and 'data-live-key="open"' in before
    actions.resolve(new_request.pk, agent)
    after = agent_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="composer" data-live-key="note" hx-swap-oob="true"' in after
    assert 'id="handoff-panel" data-live-key="none" hx-swap-oob="true"' in after
    assert 'id="reply-body"' not in after and 'id="handoff-form"' not in after


def test_disallowed_transition_is_a_409_naming_the_allowed_actions(agent_client, new_request):
    response = agent_client.post(f"/console/r/{new_request.pk}/close/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 409
    assert "Allowed now:" in body and "resolve" in body
    assert response["HX-Retarget"] == "#alerts"
    assert Event.objects.filter(request=new_request).count() == 1


def test_conflict_as_json(agent_client, new_request):
    response = agent_client.post(
        f"/console/r/{new_request.pk}/close/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 409
    assert response.json()["state"] == "new"
    assert "resolve" in response.json()["allowed"]


def test_stale_form_is_a_409_and_writes_nothing(agent_client, agent, new_request):
    seen = new_request.last_event_seq
    actions.add_internal_note(new_request.pk, agent, "someone else was quicker")
    response = agent_client.post(f"/console/r/{new_request.pk}/resolve/", {"seq": seen})
    assert response.status_code == 409
    assert "changed since you loaded it" in response.content.decode()
    new_request.refresh_from_db()
    assert new_request.status == "new"


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("reply", {"body": "   "}),
        ("hand_off", {"department": "not-a-number", "instructions": "x"}),
        ("hand_off", {"department": "finance", "instructions": "x", "due_at": "yesterday"}),
        ("priority", {"priority": "99"}),
        ("assign", {"assignee": "abc"}),
        ("resolve", {"seq": "abc"}),
    ],
)
def test_bad_input_is_a_400_with_a_message(agent_client, departments, new_request, action, data):
    if data.get("department") in departments:
        data = data | {"department": departments[data["department"]].pk}
    before = Event.objects.count()
    response = agent_client.post(f"/console/r/{new_request.pk}/{action}/", data)
    assert response.status_code == 400
    assert "alert" in response.content.decode()
    assert Event.objects.count() == before


def test_get_on_a_mutating_url_is_405(agent_client, new_request):
    assert agent_client.get(f"/console/r/{new_request.pk}/resolve/").status_code == 405


def test_unknown_action_and_foreign_task_are_404(agent_client, agent, departments, new_request):
    other = actions.open_request(
        customer=new_request.customer, subject="Other", body="x", department=departments["support"]
    )
    task = actions.hand_off(
        other.pk, agent, department=departments["finance"], instructions="elsewhere"
    )
    assert agent_client.post(f"/console/r/{new_request.pk}/explode/").status_code == 404
    response = agent_client.post(f"/console/r/{new_request.pk}/cancel_task/", {"task": task.pk})
    assert response.status_code == 404


def test_other_departments_request_is_404(make_staff, new_request):
    client = Client()
    client.force_login(make_staff("maker", dept="manufacturing"))
    assert client.get(f"/console/r/{new_request.pk}/").status_code == 404
    assert client.post(f"/console/r/{new_request.pk}/note/", {"body": "hi"}).status_code == 404


def test_a_department_with_a_task_on_the_request_opens_its_page(
    make_staff, agent, departments, new_request
):
    """Not the owner's, yet theirs to see: the task makes the request visible, as the queues
    list it (workflows.permissions.visible_requests)."""
    maker = Client()
    maker.force_login(make_staff("maker", dept="manufacturing"))
    actions.hand_off(
        new_request.pk, agent, department=departments["manufacturing"], instructions="Ship it?"
    )
    response = maker.get(f"/console/r/{new_request.pk}/")
    assert response.status_code == 200
    assert "Ship it?" in response.content.decode()
    assert maker.get(f"/console/r/{new_request.pk}/history/?before=2").status_code == 200


def test_the_timeline_takes_its_tasks_from_the_tasks_panel(
    agent_client, agent, departments, new_request, django_assert_num_queries
):
    """The panel's query has loaded the tasks the newest entries are about: the page asks for
    tasks twice only where an entry's task has left the panel (FINISHED_TASKS_SHOWN)."""
    task = actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions="Refund 42?"
    )
    with CaptureQueriesContext(connection) as queries:
        html = agent_client.get(f"/console/r/{new_request.pk}/").content.decode()
    assert html.count("Refund 42?") == 2  # the task card and its timeline entry
    assert f'id="task-{task.pk}"' in html
    whole_tasks = 'SELECT "helpdesk_departmenttask"."id", "helpdesk_departmenttask"."status"'
    assert [q["sql"].startswith(whole_tasks) for q in queries].count(True) == 1


def test_csrf_is_enforced(agent, new_request):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(f"/console/r/{new_request.pk}/resolve/").status_code == 403


def test_htmx_post_after_the_session_expired_shows_an_alert_not_the_login_page(new_request):
    response = Client().post(
        f"/console/r/{new_request.pk}/reply/", {"body": "typed text"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401
    assert response["HX-Retarget"] == "#alerts"
    assert "session expired" in response.content.decode()


def test_htmx_post_with_a_stale_csrf_token_shows_an_alert(agent, new_request):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        f"/console/r/{new_request.pk}/reply/", {"body": "typed text"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401
    assert "session expired" in response.content.decode()


def test_request_page_shows_sla_badges_for_the_request_and_its_tasks(
    agent_client, agent, departments, new_request
):
    from workflows.sla.defaults import install_defaults

    install_defaults()
    req = actions.open_request(
        customer=new_request.customer, subject="Timed", body="x", department=departments["support"]
    )
    actions.hand_off(req.pk, agent, department=departments["finance"], instructions="check")
    html = agent_client.get(f"/console/r/{req.pk}/").content.decode()
    assert html.count("data-sla-state=") >= 2


# Forms the console can post; a page shows one only when the request's state allows it.
FORMS = {
    "assign": "/assign/",
    "priority": "/priority/",
    "escalate": "/escalate/",
    "deescalate": "/deescalate/",
    "transfer": "/transfer/",
    "revoke_link": "/revoke_link/",
}


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("open", {"assign", "priority", "escalate", "deescalate", "transfer", "revoke_link"}),
        ("resolved", {"assign", "deescalate", "transfer", "revoke_link"}),
        ("closed", {"revoke_link"}),
    ],
)
def test_the_page_offers_only_what_the_state_allows(state, shown, request_in, lead):
    """A lead, with the request escalated, so de-escalating is on the table where allowed."""
    request = request_in("open")
    actions.escalate(request.pk, lead, reason="Chased twice.")
    if state != "open":
        request = request_in(state)
    client = Client()
    client.force_login(lead)
    html = client.get(f"/console/r/{request.pk}/").content.decode()
    offered = {name for name, path in FORMS.items() if f"/r/{request.pk}{path}" in html}
    assert offered == shown


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("escalate", {"reason": "Late."}, "A closed request cannot be escalated."),
        ("assign", {}, "A closed request cannot be assigned."),
        ("priority", {"priority": "4"}, "A closed request cannot be given another priority."),
        ("transfer", {"department": "finance"}, "A closed request cannot be transferred."),
    ],
)
def test_acting_on_a_closed_request_is_a_409_naming_what_is_allowed(
    agent_client, request_in, departments, action, data, message
):
    request = request_in("closed")
    if "department" in data:
        data = {"department": departments[data["department"]].pk}
    before = Event.objects.filter(request=request).count()
    response = agent_client.post(f"/console/r/{request.pk}/{action}/", data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 409
    assert message in body
    assert "State: closed. Allowed now: nothing." in body
    assert Event.objects.filter(request=request).count() == before


def test_escalating_a_resolved_request_as_json_names_reopen_and_close(agent_client, request_in):
    request = request_in("resolved")
    response = agent_client.post(
        f"/console/r/{request.pk}/escalate/", {"reason": "Late."}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "A resolved request cannot be escalated; reopen it first.",
        "state": "resolved",
        "allowed": ["close", "reopen"],
    }


def test_the_tasks_panel_shortens_long_instructions_and_the_timeline_keeps_them_whole(
    agent_client, agent, departments, new_request
):
    words = "Please check the refund and the replacement of order 42. " * 4
    actions.hand_off(new_request.pk, agent, department=departments["finance"], instructions=words)
    html = agent_client.get(f"/console/r/{new_request.pk}/").content.decode()
    panel = html.split('id="request-tasks"')[1].split("</section>")[0]
    assert Truncator(words).chars(160) in panel and words.strip() not in panel
    assert words.strip() in html.split('id="timeline"')[1]


def test_an_unassigned_request_names_nobody_as_its_assignee(agent_client, new_request):
    """staff_name calls a missing person "System" (an automatic entry); nobody owns this one."""
    html = agent_client.get(f"/console/r/{new_request.pk}/").content.decode()
    assert '<strong id="assignee">Nobody</strong>' in html
