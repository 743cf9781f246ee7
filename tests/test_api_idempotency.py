"""Idempotency-Key: a retry returns the first answer and writes once; the same key with a
different request is refused; on PostgreSQL, concurrent retries write exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from helpdesk.api.models import IdempotencyRecord
from helpdesk.api.testing import token_client
from helpdesk.models import Event, Message, Request

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def as_agent(agent):
    return token_client("staff", user=agent)


def reply_url(request):
    return f"/api/requests/{request.pk}/reply/"


def test_a_retry_returns_the_same_answer_and_writes_once(as_agent, request_in):
    request = request_in("open")
    first = as_agent.post(reply_url(request), {"body": "Photo?"}, key="retry-1")
    again = as_agent.post(reply_url(request), {"body": "Photo?"}, key="retry-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Message.objects.filter(request=request, body="Photo?").count() == 1


def test_creating_a_request_twice_with_one_key_opens_one(agent, customer, departments):
    api = token_client("customer", customer=customer)
    answers = [
        api.post("/api/requests/", {"subject": "Hi", "body": "b"}, key="open-1") for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert Request.objects.count() == 1


def test_errors_replay_too(as_agent, request_in):
    request = request_in("closed")
    first = as_agent.post(f"/api/requests/{request.pk}/resolve/", key="k")
    again = as_agent.post(f"/api/requests/{request.pk}/resolve/", key="k")
    assert first.status_code == again.status_code == 409
    assert first.json() == again.json()


@pytest.mark.parametrize("change", ["body", "path"])
def test_the_same_key_for_a_different_request_is_422(as_agent, request_in, change):
    request = request_in("open")
    as_agent.post(reply_url(request), {"body": "Photo?"}, key="k")
    before = Event.objects.count()
    if change == "body":
        response = as_agent.post(reply_url(request), {"body": "Something else"}, key="k")
    else:
        response = as_agent.post(f"/api/requests/{request.pk}/note/", {"body": "x"}, key="k")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]
    assert Event.objects.count() == before


def test_keys_belong_to_one_token(as_agent, agent, request_in):
    request = request_in("open")
    other = token_client("staff", user=agent)
    as_agent.post(reply_url(request), {"body": "One"}, key="shared")
    assert other.post(reply_url(request), {"body": "Two"}, key="shared").status_code == 200
    assert request.messages.count() == 2


def test_a_key_expires_after_a_day(as_agent, request_in):
    request = request_in("open")
    as_agent.post(f"/api/requests/{request.pk}/note/", {"body": "n"}, key="daily")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = as_agent.post(f"/api/requests/{request.pk}/note/", {"body": "n"}, key="daily")
    assert "Idempotent-Replayed" not in again
    assert request.messages.filter(body="n").count() == 2
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "k" * 256])
def test_bad_keys_are_refused(as_agent, request_in, key):
    request = request_in("open")
    response = as_agent.post(reply_url(request), {"body": "x"}, key=key)
    assert response.status_code == 400
    assert not request.messages.exists()


def test_without_a_key_nothing_is_stored(as_agent, request_in):
    request = request_in("open")
    as_agent.post(reply_url(request), {"body": "x"})
    assert not IdempotencyRecord.objects.exists()


THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres")
def test_concurrent_retries_write_once(agent, request_in):
    """Eight clients send the same keyed POST at the same instant: one writes, all get its
    answer."""
    request = request_in("open")
    api = token_client("staff", user=agent)
    barrier = threading.Barrier(THREADS, timeout=60)
    answers = [None] * THREADS

    def send(i):
        try:
            connection.ensure_connection()
            barrier.wait()
            answers[i] = api.post(reply_url(request), {"body": "Only once"}, key="race")
        except Exception as exc:
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(a, Exception) for a in answers), answers
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a for a in answers) == 1
    assert Message.objects.filter(request=request, body="Only once").count() == 1
    assert Event.objects.filter(request=request, type="replied").count() == 1
