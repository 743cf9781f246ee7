"""A double click, two tabs, a retried request: the same transition posted twice at once.

Through the whole web stack (sessions, middleware, views, actions) on PostgreSQL, where the
row lock decides: exactly one answer is a success, the other a 409 that says what happened and
what is possible now, and only one event is written."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from helpdesk.api.testing import token_client
from helpdesk.models import Event
from workflows.states import RequestStatus

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
