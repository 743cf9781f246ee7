"""Timelines kept rendered (helpdesk.timeline): a page opened again asks nothing for its
entries, and whatever an entry shows, once changed, shows on the next load."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpdesk import selectors
from helpdesk.models import DepartmentTask, Request
from realtime import fragments
from workflows import actions

pytestmark = pytest.mark.django_db


def page(client, req):
    response = client.get(f"/console/r/{req.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def timeline_of(html):
    return html.split('id="timeline">')[1].split('<div class="presence"')[0]


def event_queries(queries):
    return [q["sql"] for q in queries if 'FROM "helpdesk_event"' in q["sql"]]


def test_a_page_opened_again_asks_nothing_for_its_entries(agent_client, agent, new_request):
    actions.reply(new_request.pk, agent, "We are on it.")
    first = page(agent_client, new_request)
    with CaptureQueriesContext(connection) as queries:
        again = page(agent_client, new_request)
    assert timeline_of(again) == timeline_of(first)
    assert "We are on it." in timeline_of(again)
    assert event_queries(queries) == []
    assert not [q for q in queries if 'FROM "helpdesk_message"' in q["sql"]]


def test_a_new_entry_shows_on_the_next_load(agent_client, agent, new_request):
    page(agent_client, new_request)
    actions.add_internal_note(new_request.pk, agent, "Check the stock first.")
    assert "Check the stock first." in page(agent_client, new_request)


def message_queries(queries):
    return [q["sql"] for q in queries if 'FROM "helpdesk_message"' in q["sql"]]


def test_after_an_event_only_its_own_entry_is_rendered(agent_client, agent, new_request):
    """The run is missed (the log moved on), but the entries already shown are kept: only the
    new one loads its message."""
    replies = [actions.reply(new_request.pk, agent, f"Reply {n}.") for n in range(3)]
    page(agent_client, new_request)
    note = actions.add_internal_note(new_request.pk, agent, "Check the stock first.")
    with CaptureQueriesContext(connection) as queries:
        html = page(agent_client, new_request)
    assert "Check the stock first." in timeline_of(html)
    assert all(f"Reply {n}." in timeline_of(html) for n in range(3))
    [loaded] = message_queries(queries)
    assert str(note.pk) in loaded
    assert not any(str(reply.pk) in loaded for reply in replies)


def test_the_next_load_finds_the_entry_a_live_push_rendered(agent_client, agent, new_request):
    page(agent_client, new_request)
    actions.add_internal_note(new_request.pk, agent, "Check the stock first.")
    new_request.refresh_from_db()
    [event] = selectors.timeline(new_request, after_seq=new_request.last_event_seq - 1)
    push = fragments.staff_push(new_request, [event])
    with CaptureQueriesContext(connection) as queries:
        html = page(agent_client, new_request)
    assert message_queries(queries) == []
    assert dict(push.entries)[event.seq] in timeline_of(html)


def test_a_task_entry_follows_its_task(agent_client, agent, departments, new_request):
    """A task's entry shows the task as it is now, so it is kept under the task's last change."""
    task = actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions="Refund 42?"
    )
    page(agent_client, new_request)
    DepartmentTask.objects.filter(pk=task.pk).update(instructions="Refund 42 in full?")
    task.refresh_from_db()
    task.save()  # a later change to the task, which moves its updated_at
    actions.add_internal_note(new_request.pk, agent, "Asked finance.")
    assert "Refund 42 in full?" in timeline_of(page(agent_client, new_request))


def test_a_task_answered_shows_its_answer_on_the_request_and_the_task_page(
    agent_client, agent, clerk, departments, new_request
):
    task = actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions="Refund 42?"
    )
    clerk_client = Client()
    clerk_client.force_login(clerk)
    task_url = f"/inbox/t/{task.pk}/"
    page(agent_client, new_request), clerk_client.get(task_url)
    actions.claim_task(task.pk, clerk)
    actions.complete_task(task.pk, clerk, answer="Refunded today.")
    assert "Refunded today." in page(agent_client, new_request)
    assert "Refunded today." in clerk_client.get(task_url).content.decode()


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_a_renamed_person_shows_by_the_new_name(
    agent_client, agent, new_request, who, django_capture_on_commit_callbacks
):
    actions.reply(new_request.pk, agent, "We are on it.")
    actions.customer_reply(new_request.pk, new_request.customer, "Thanks.")
    person = agent if who == "agent" else new_request.customer
    page(agent_client, new_request)
    with django_capture_on_commit_callbacks(execute=True):
        if who == "agent":
            person.first_name, person.last_name = "Beatrix", "Renamed"
        else:
            person.name = "Beatrix Renamed"
        person.save()
    assert "Beatrix Renamed" in timeline_of(page(agent_client, new_request))


def test_a_login_keeps_the_kept_runs(agent, new_request, django_capture_on_commit_callbacks):
    """A login saves the user (last_login); nothing an entry shows has changed."""
    from helpdesk import timeline

    before = timeline.generation()
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().login(username="agent", password="pw")
    assert timeline.generation() == before


def test_corrections_in_the_admin_show_on_the_next_load(
    admin_client, agent_client, agent, departments, new_request, django_capture_on_commit_callbacks
):
    task = actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions="Refund 42?"
    )
    page(agent_client, new_request)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/helpdesk/request/{new_request.pk}/change/",
            {
                "subject": "Refund please",
                "body": "Order 42 arrived in pieces.",
                "channel": new_request.channel,
                **inline_management_forms(),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        response = admin_client.post(
            f"/admin/helpdesk/departmenttask/{task.pk}/change/",
            {"instructions": "Refund 42 in full?"},
        )
        assert response.status_code == 302
    timeline = timeline_of(page(agent_client, new_request))
    assert "Order 42 arrived in pieces." in timeline
    assert "Refund 42 in full?" in timeline


def inline_management_forms():
    """The request admin's read-only inlines still post their (empty) management forms."""
    forms = {}
    for prefix in ("messages", "tasks", "events"):
        forms |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return forms


def test_the_customer_never_gets_the_staff_run(agent_client, agent, new_request):
    """Both runs of one request at one sequence number are kept, and both copies of each
    entry; each audience its own."""
    actions.reply(new_request.pk, agent, "We are on it.")
    actions.add_internal_note(new_request.pk, agent, "Internal: customer is difficult.")
    staff = page(agent_client, new_request)
    assert "customer is difficult" in staff and "replied to the customer" in staff
    new_request.refresh_from_db()
    status = Client().get(f"/status/{new_request.public_token}/").content.decode()
    assert "Order 42 arrived broken." in status and "We are on it." in status
    assert "customer is difficult" not in status and "replied to the customer" not in status


def test_show_earlier_keeps_each_run_apart(agent_client, agent, new_request):
    for n in range(selectors.PAGE_ENTRIES + 5):
        actions.add_internal_note(new_request.pk, agent, f"Note number {n}.")
    html = page(agent_client, new_request)
    assert "Note number 0." not in html and f"Note number {selectors.PAGE_ENTRIES + 4}." in html
    earlier = agent_client.get(f"/console/r/{new_request.pk}/history/?before=7").content.decode()
    assert "Note number 0." in earlier and "Note number 10." not in earlier


def test_a_page_shows_nothing_newer_than_its_sequence_marker(agent, new_request):
    """The page says the last sequence number it loaded; its live socket brings the rest.
    An entry committed between the two queries would otherwise arrive twice."""
    loaded = Request.objects.get(pk=new_request.pk)
    actions.add_internal_note(new_request.pk, agent, "Written meanwhile.")
    events, _ = selectors.recent_timeline(loaded)
    assert [e.seq for e in events][-1] == loaded.last_event_seq
