"""The back-office inbox and task page: tabs, the task's forms, live hooks, clear refusals."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from helpdesk.models import DepartmentTask, Event, Message
from workflows import actions

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def task_rows(response):
    return [int(pk) for pk in re.findall(r'id="task-row-(\d+)"', response.content.decode())]


@pytest.fixture
def handed(agent, customer, departments):
    """hand(department, instructions): a fresh request of the customer's, handed off."""

    def hand(department="finance", instructions="Refund order 42.", **extra):
        request = actions.open_request(
            customer=customer,
            subject="Refund please",
            body="Broken.",
            department=departments["support"],
        )
        return actions.hand_off(
            request.pk,
            agent,
            department=departments[department],
            instructions=instructions,
            **extra,
        )

    return hand


@pytest.fixture
def clerk_client(clerk):
    return client_for(clerk)


@pytest.fixture
def colleague(make_staff):
    return make_staff("colleague", dept="finance", role="back_office")


def test_tabs_hold_open_claimed_by_me_and_recently_done_tasks_of_my_departments(
    clerk, clerk_client, colleague, handed
):
    waiting = handed(instructions="Waiting for anyone")
    mine = handed(instructions="Claimed by me")
    theirs = handed(instructions="Claimed by a colleague")
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        old = handed(instructions="Answered long ago")
        actions.complete_task(old.pk, clerk, answer="Done then.")
    done = handed(instructions="Answered today")
    other_department = handed("manufacturing", instructions="Not finance's")
    actions.claim_task(mine.pk, clerk)
    actions.claim_task(theirs.pk, colleague)
    actions.complete_task(done.pk, clerk, answer="Refunded.")

    open_tab = clerk_client.get("/inbox/")
    assert open_tab.status_code == 200
    assert task_rows(open_tab) == [theirs.pk, mine.pk, waiting.pk]  # newest first
    assert other_department.pk not in task_rows(open_tab)
    assert task_rows(clerk_client.get("/inbox/?tab=mine")) == [mine.pk]
    assert task_rows(clerk_client.get("/inbox/?tab=done")) == [done.pk]
    html = open_tab.content.decode()
    assert re.search(r'data-tab="open"[^>]*>Open <span class="count">3<', html)
    assert re.search(r'data-tab="mine"[^>]*>Claimed by me <span class="count">1<', html)
    assert re.search(r'data-tab="done"[^>]*>Done recently <span class="count">1<', html)
    theirs_row = html[html.index(f'id="task-row-{theirs.pk}"') :].split("</tr>")[0]
    assert "Claimed" in theirs_row and "Colleague" in theirs_row
    assert "Ann Customer" in theirs_row and "Acme Ltd" in theirs_row
    assert f'href="/inbox/t/{theirs.pk}/"' in theirs_row
    # The live badge counts the tasks nobody has claimed yet.
    assert re.search(r'id="inbox-badge" class="badge">1<', html)


def test_the_list_refreshes_itself_when_poked_and_answers_htmx_with_rows_tabs_and_badge(
    clerk_client, handed
):
    task = handed()
    page = clerk_client.get("/inbox/?tab=open").content.decode()
    assert 'ws-connect="/ws/live/"' in page and 'id="list-poke"' in page
    assert 'data-refresh-on-poke hx-get="/inbox/?tab=open" hx-trigger="nucleus:poke"' in page
    response = clerk_client.get("/inbox/?tab=open", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="task-list"')
    assert 'id="inbox-tabs" aria-label="Task lists" hx-swap-oob="true"' in html
    assert 'id="inbox-badge" class="badge" hx-swap-oob="true">1<' in html
    assert task_rows(response) == [task.pk]
    assert "HX-Request" in response["Vary"]


def test_staff_without_a_department_are_refused_and_anonymous_users_sent_to_log_in(db):
    stranger = User.objects.create_user("stranger", password="pw")
    assert client_for(stranger).get("/inbox/").status_code == 403
    response = Client().get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_task_page_shows_instructions_customer_conversation_and_live_hooks(
    agent, clerk_client, handed
):
    task = handed(instructions="Refund the **full** amount.", due_at=timezone.now() + timedelta(1))
    actions.add_internal_note(task.request_id, agent, "Customer is in renewal talks.")
    response = clerk_client.get(f"/inbox/t/{task.pk}/")
    html = response.content.decode()
    request = task.request
    request.refresh_from_db()
    assert response.status_code == 200
    assert "Refund the **full** amount." in html and "Due " in html
    assert 'id="customer-panel"' in html and "Acme Ltd" in html  # the full customer panel
    assert "Broken." in html and "Customer is in renewal talks." in html  # the conversation
    assert f'ws-connect="/ws/request/{request.pk}/"' in html
    assert f'id="last-seq" data-seq="{request.last_event_seq}"' in html
    assert 'id="timeline"' in html and 'id="request-tasks"' in html and 'id="presence"' in html
    assert f'hx-get="/inbox/t/{task.pk}/panel/?v=open.0"' in html
    assert 'data-action="claim"' in html and 'data-action="complete"' in html
    assert 'data-action="return"' in html and 'data-action="ask"' in html


def test_another_departments_task_is_not_found(make_staff, handed):
    task = handed("manufacturing")
    client = client_for(make_staff("other-clerk", dept="finance", role="back_office"))
    assert client.get(f"/inbox/t/{task.pk}/").status_code == 404
    assert client.get(f"/inbox/t/{task.pk}/panel/").status_code == 404
    assert client.post(f"/inbox/t/{task.pk}/claim/").status_code == 404
    assert DepartmentTask.objects.get(pk=task.pk).status == "open"
    assert client.get("/inbox/t/999999/").status_code == 404


def test_claim_through_htmx_answers_the_panel_and_the_badge(clerk, clerk_client, handed):
    task = handed()
    response = clerk_client.post(f"/inbox/t/{task.pk}/claim/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="panel task-panel" id="task-panel"')
    assert "Claimed by you" in html and 'data-action="claim"' not in html
    assert f'hx-get="/inbox/t/{task.pk}/panel/?v=claimed.{clerk.pk}"' in html
    assert 'id="inbox-badge" class="badge badge-empty" hx-swap-oob="true">0<' in html
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("claimed", clerk)
    assert Event.objects.filter(request=task.request, type="task_claimed").count() == 1


def test_complete_with_an_answer_finishes_the_task_and_hands_the_request_back(
    clerk, clerk_client, handed
):
    task = handed()
    response = clerk_client.post(
        f"/inbox/t/{task.pk}/complete/", {"answer": "Refunded £42."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Answered" in response.content.decode() and "Refunded £42." in response.content.decode()
    task.refresh_from_db()
    task.request.refresh_from_db()
    assert (task.status, task.answer, task.assignee) == ("done", "Refunded £42.", clerk)
    assert task.request.status == "open"


def test_return_with_a_reason(clerk_client, handed):
    task = handed()
    response = clerk_client.post(
        f"/inbox/t/{task.pk}/return/", {"reason": "This is fulfilment's."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Returned" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.answer) == ("returned", "This is fulfilment's.")


def test_asking_the_agent_adds_an_internal_note_about_the_task(clerk, clerk_client, handed):
    task = handed()
    response = clerk_client.post(
        f"/inbox/t/{task.pk}/ask/", {"body": "Full or partial refund?"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="ask-form"') and "Full or partial" not in html
    note = Message.objects.get(request=task.request, body="Full or partial refund?")
    assert (note.kind, note.author_user) == ("note", clerk)
    event = Event.objects.get(request=task.request, type="note_added")
    assert event.visibility == "internal" and event.payload["task_id"] == task.pk
    task.refresh_from_db()
    assert task.status == "open"  # asking changes nothing else


def test_plain_posts_redirect_back_to_the_task_page(clerk_client, handed):
    task = handed()
    response = clerk_client.post(f"/inbox/t/{task.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/inbox/t/{task.pk}/"


@pytest.mark.parametrize(
    ("action", "data", "status"),
    [
        ("complete", {"answer": "   "}, 400),
        ("return", {}, 400),
        ("ask", {"body": ""}, 400),
        ("cancel", {}, 404),  # the owner's action, not offered here
        ("nonsense", {}, 404),
    ],
)
def test_bad_posts_are_clear_4xx_answers_that_write_nothing(
    clerk_client, handed, footprint, action, data, status
):
    task = handed()
    before = footprint(task.request)
    response = clerk_client.post(f"/inbox/t/{task.pk}/{action}/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == status
    if status == 400:
        assert response["HX-Retarget"] == "#alerts"
    assert footprint(task.request) == before


def test_acting_on_a_finished_task_is_a_409_naming_what_is_allowed(clerk, clerk_client, handed):
    task = handed()
    actions.complete_task(task.pk, clerk, answer="Done.")
    response = clerk_client.post(f"/inbox/t/{task.pk}/claim/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#alerts"
    assert "cannot be claimed" in response.content.decode()


def test_actions_need_post_and_csrf(clerk, handed):
    task = handed()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert client.get(f"/inbox/t/{task.pk}/claim/").status_code == 405
    assert client.post(f"/inbox/t/{task.pk}/claim/").status_code == 403
    task.refresh_from_db()
    assert task.status == "open"


def test_the_panel_answers_nothing_until_the_task_moves_then_keeps_typed_text(
    clerk_client, colleague, handed
):
    task = handed()
    url = f"/inbox/t/{task.pk}/panel/"
    assert clerk_client.get(url, {"v": "open.0"}).status_code == 204
    actions.claim_task(task.pk, colleague)
    response = clerk_client.get(url, {"v": "open.0"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Claimed by Colleague" in html
    assert 'id="task-answer"' in html and 'hx-preserve="true"' in html
    assert 'id="inbox-badge"' in html
    assert clerk_client.get(url, {"v": f"claimed.{colleague.pk}"}).status_code == 204


def test_a_task_cancelled_by_its_owner_shows_as_cancelled_without_forms(
    agent, clerk_client, handed
):
    task = handed()
    actions.cancel_task(task.pk, agent, reason="Customer changed their mind.")
    html = clerk_client.get(f"/inbox/t/{task.pk}/").content.decode()
    assert "Cancelled" in html and "Customer changed their mind." in html
    assert 'data-action="complete"' not in html and 'data-action="claim"' not in html
    assert 'data-action="ask"' in html  # a question is still possible


def test_other_requests_of_the_customer_link_only_where_the_viewer_may_open_them(
    agent, clerk_client, handed
):
    """The clerk's finance task sits beside two other requests of the same customer: the one
    finance also has a task on opens, the one only support owns is named without a link."""
    linked = handed("finance").request
    named_only = actions.open_request(
        customer=linked.customer, subject="Unrelated", body="Hi.", department=linked.department
    )
    task = handed("finance")
    html = clerk_client.get(f"/inbox/t/{task.pk}/").content.decode()
    assert f'href="/console/r/{linked.pk}/"' in html
    assert f"#{named_only.pk} Unrelated" in html
    assert f'href="/console/r/{named_only.pk}/"' not in html
    agent_html = client_for(agent).get(f"/console/r/{task.request_id}/").content.decode()
    assert f'href="/console/r/{named_only.pk}/"' in agent_html
