"""A double click, two tabs, a retried request: the same transition posted twice at once.

Through the whole web stack (sessions, middleware, views, actions) on PostgreSQL, where the
row lock decides: exactly one answer is a success, the other a 409 that says what happened and
what is possible now, and only one event is written. What the change sets off happens once
too: one in-app notification, one webhook delivery per event, one email to the customer."""

import io
import json
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from helpdesk.api.testing import TokenClient, token_client
from helpdesk.mail.outbound import email_event
from helpdesk.models import Event
from helpdesk.webhooks.models import Delivery, WebhookEndpoint
from helpdesk.webhooks.tasks import deliver_webhooks
from workflows.models import Notification
from workflows.states import RequestStatus

STALE = "This request changed since you loaded it; review the latest and try again."

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres"),
]


def at_once(*posts):
    """Run the posts in threads released together; return their responses in order."""
    barrier = threading.Barrier(len(posts), timeout=60)
    answers = [None] * len(posts)

    def run(i):
        try:
            connection.ensure_connection()  # connect first, so the race is about the lock
            barrier.wait()
            answers[i] = posts[i]()
        except Exception as exc:  # surfaced by the assertions below
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def form_post(client, path, **headers):
    return lambda: client.post(path, {}, headers=headers)


def resolved_events(request):
    return Event.objects.filter(
        request=request, type="status_changed", payload__new=RequestStatus.RESOLVED
    ).count()


def split(answers, success):
    assert all(not isinstance(a, Exception) for a in answers), answers
    codes = sorted(a.status_code for a in answers)
    assert codes == sorted([success, 409]), codes
    return next(a for a in answers if a.status_code == 409)


@pytest.mark.parametrize(
    ("headers", "success"),
    [({}, 302), ({"HX-Request": "true"}, 200)],
    ids=["plain form", "htmx"],
)
def test_a_double_submitted_resolve_succeeds_once(request_in, agent, headers, success):
    request = request_in("open")
    before = Event.objects.filter(request=request).count()
    path = f"/console/r/{request.pk}/resolve/"
    tab_one, tab_two = browser(agent), browser(agent)

    answers = at_once(form_post(tab_one, path, **headers), form_post(tab_two, path, **headers))

    conflict = split(answers, success).content.decode()
    assert "Not possible right now" in conflict
    assert "State: resolved" in conflict
    assert "reopen" in conflict  # what can be done instead
    assert Event.objects.filter(request=request).count() == before + 1
    assert resolved_events(request) == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.RESOLVED


def test_two_agents_resolving_at_once_one_wins(request_in, agent, lead):
    request = request_in("open")
    path = f"/console/r/{request.pk}/resolve/"

    answers = at_once(form_post(browser(agent), path), form_post(browser(lead), path))

    split(answers, 302)
    assert resolved_events(request) == 1


def test_an_api_retry_without_an_idempotency_key_gets_a_409_naming_the_state(request_in, agent):
    request = request_in("open")
    api = token_client("staff", user=agent)
    path = f"/api/requests/{request.pk}/resolve/"

    answers = at_once(lambda: api.post(path), lambda: api.post(path))

    body = json.loads(split(answers, 200).content)
    assert body["state"] == RequestStatus.RESOLVED
    assert set(body["allowed"]) >= {"reopen"}
    assert body["error"]
    assert resolved_events(request) == 1


# What one change sets off ---------------------------------------------------------------------


def listening(receiver):
    """A webhook endpoint for every event, internal ones too; the customer (ann@acme.example)
    gets public replies by email anyway."""
    WebhookEndpoint.objects.create(url=receiver.url(), scope=WebhookEndpoint.Scope.STAFF)


def queued(task):
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def effects(request, after_seq, receiver):
    """Everything the winner's change set off, once the job worker has run."""
    jobs = {"mail jobs": queued(email_event), "webhook jobs": queued(deliver_webhooks)}
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO())
    return {
        "events": list(
            Event.objects.filter(request=request, seq__gt=after_seq)
            .order_by("seq")
            .values_list("type", flat=True)
        ),
        **jobs,
        "deliveries": sorted(Delivery.objects.values_list("event__type", flat=True)),
        "webhook calls": sorted(json.loads(m.body)["type"] for m in receiver.received),
        "emails": [m.to for m in mail.outbox],
        "notifications": list(Notification.objects.values_list("user__username", flat=True)),
    }


def test_a_double_submitted_reply_emails_the_customer_and_calls_the_webhook_once(
    request_in, agent, receiver
):
    request = request_in("open")
    listening(receiver)
    seen = request.last_event_seq
    token = token_client("staff", user=agent)
    tab_one, tab_two = TokenClient(token.secret), TokenClient(token.secret)
    path = f"/api/requests/{request.pk}/reply/"
    body = {"body": "We refunded you.", "expected_seq": seen}

    answers = at_once(lambda: tab_one.post(path, body), lambda: tab_two.post(path, body))

    conflict = json.loads(split(answers, 200).content)
    assert conflict == {
        "error": STALE,
        "state": RequestStatus.WAITING_ON_CUSTOMER,
        "allowed": ["hand_off", "reply", "resolve"],
    }
    assert effects(request, seen, receiver) == {
        "events": ["replied", "status_changed"],
        "mail jobs": 1,
        "webhook jobs": 1,
        "deliveries": ["replied", "status_changed"],
        "webhook calls": ["request.replied", "request.status_changed"],
        "emails": [["ann@acme.example"]],
        "notifications": [],
    }


def test_a_double_submitted_assignment_notifies_the_assignee_once(
    new_request, agent, lead, receiver
):
    listening(receiver)
    seen = new_request.last_event_seq
    path = f"/console/r/{new_request.pk}/assign/"
    data = {"assignee": lead.pk, "seq": seen}
    tab_one, tab_two = browser(agent), browser(agent)

    answers = at_once(
        lambda: tab_one.post(path, data, headers={"HX-Request": "true"}),
        lambda: tab_two.post(path, data, headers={"HX-Request": "true"}),
    )

    conflict = split(answers, 200).content.decode()
    assert STALE in conflict and "State: open" in conflict
    assert effects(new_request, seen, receiver) == {
        "events": ["assigned", "status_changed"],
        "mail jobs": 0,
        "webhook jobs": 1,
        "deliveries": ["assigned", "status_changed"],
        "webhook calls": ["request.assigned", "request.status_changed"],
        "emails": [],
        "notifications": ["lead"],
    }


def test_a_double_submitted_resolve_calls_the_webhook_once(request_in, agent, receiver):
    request = request_in("open")
    listening(receiver)
    seen = request.last_event_seq
    path = f"/console/r/{request.pk}/resolve/"

    split(at_once(form_post(browser(agent), path), form_post(browser(agent), path)), 302)

    assert effects(request, seen, receiver) == {
        "events": ["status_changed"],
        "mail jobs": 0,
        "webhook jobs": 1,
        "deliveries": ["status_changed"],
        "webhook calls": ["request.status_changed"],
        "emails": [],
        "notifications": [],
    }
