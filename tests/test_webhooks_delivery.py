"""Deliveries: one per committed event and endpoint, signed per Standard Webhooks, internal
events only to staff endpoints, retried with backoff under the same webhook-id. Everything is
sent to a receiver on 127.0.0.1 (the test-only loopback flag); nothing leaves this machine."""

import base64
import hashlib
import hmac
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from helpdesk.webhooks import delivery as sending
from helpdesk.webhooks.dispatch import enqueue_for
from helpdesk.webhooks.models import Delivery, WebhookEndpoint
from helpdesk.webhooks.tasks import deliver_webhooks, retry_delivery
from workflows import actions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

MARKER = "ZQX-INTERNAL-4410"


@pytest.fixture
def endpoints(receiver):
    return {
        "public": WebhookEndpoint.objects.create(url=receiver.url("/public")),
        "staff": WebhookEndpoint.objects.create(url=receiver.url("/staff"), scope="staff"),
    }


@pytest.fixture
def worked(new_request, agent, departments):
    """A request with public and internal events (a marker in the internal ones)."""
    rid = new_request.pk
    actions.assign(rid, agent, agent)
    actions.add_internal_note(rid, agent, f"Note {MARKER}")
    actions.hand_off(rid, agent, department=departments["finance"], instructions=MARKER)
    actions.reply(rid, agent, "Could you send a photo?")
    return new_request


def active_endpoints():
    return list(WebhookEndpoint.objects.filter(active=True))


def task_rows(task):
    return DBTaskResult.objects.filter(task_path=task.module_path)


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO())


def by_path(receiver):
    out = {}
    for message in receiver.received:
        out.setdefault(message.path, []).append(message)
    return out


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections
def test_committed_events_are_delivered_by_the_worker(endpoints, receiver, worked):
    events = list(worked.events.order_by("seq"))
    assert task_rows(deliver_webhooks).exists()  # each action queued its events as it committed
    run_worker()
    got = by_path(receiver)
    public_types = [json.loads(m.body)["type"] for m in got["/public"]]
    staff_types = [json.loads(m.body)["type"] for m in got["/staff"]]
    assert staff_types == [f"request.{e.type}" for e in events]
    assert public_types == [f"request.{e.type}" for e in events if e.is_public]
    assert "request.note_added" not in public_types
    assert all(MARKER not in m.body.decode() for m in got["/public"])
    assert any(MARKER in m.body.decode() for m in got["/staff"])
    assert Delivery.objects.filter(state="succeeded").count() == len(receiver.received)


def test_every_delivery_is_signed_per_standard_webhooks(endpoints, receiver, worked):
    deliver_webhooks.call([e.pk for e in worked.events.all()])
    secrets = {"/public": endpoints["public"].secret, "/staff": endpoints["staff"].secret}
    assert receiver.received
    for message in receiver.received:
        secret = secrets[message.path]
        headers = {k.lower(): v for k, v in message.headers.items()}
        # The library a receiver would use...
        payload = Webhook(secret).verify(message.body, headers)
        assert (
            headers["webhook-id"]
            == f"evt_{Delivery.objects.get(body=message.body.decode()).event_id}"
        )
        assert payload["data"]["request_id"] == worked.pk
        # ...and the spec by hand: HMAC-SHA256 over "id.timestamp.body", base64, "v1,".
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + message.body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert headers["webhook-signature"] == f"v1,{expected}"
        # A wrong secret or a changed body does not verify.
        other = secrets["/staff"] if message.path == "/public" else secrets["/public"]
        with pytest.raises(Exception, match="signature"):
            Webhook(other).verify(message.body, headers)
        with pytest.raises(Exception, match="signature"):
            Webhook(secret).verify(message.body + b" ", headers)


def test_a_rolled_back_action_enqueues_nothing(endpoints, new_request):
    task_rows(deliver_webhooks).delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_for(list(new_request.events.all()), active_endpoints())
        raise RuntimeError("the action failed after writing")
    assert not task_rows(deliver_webhooks).exists()


def test_no_endpoint_that_wants_the_events_means_no_task(receiver, worked):
    assert not task_rows(deliver_webhooks).exists()
    enqueue_for(list(worked.events.all()), active_endpoints())
    assert not task_rows(deliver_webhooks).exists()
    WebhookEndpoint.objects.create(url=receiver.url(), event_types=["replied"])
    enqueue_for(list(worked.events.exclude(type="replied")), active_endpoints())
    assert not task_rows(deliver_webhooks).exists()
    enqueue_for(list(worked.events.all()), active_endpoints())
    assert task_rows(deliver_webhooks).count() == 1


def test_event_type_filters_and_inactive_endpoints(receiver, worked):
    WebhookEndpoint.objects.create(url=receiver.url("/replies"), event_types=["replied"])
    WebhookEndpoint.objects.create(url=receiver.url("/off"), active=False)
    deliver_webhooks.call([e.pk for e in worked.events.all()])
    assert [m.path for m in receiver.received] == ["/replies"]


def test_running_the_task_twice_sends_once(endpoints, receiver, worked):
    ids = [e.pk for e in worked.events.all()]
    deliver_webhooks.call(ids)
    count = len(receiver.received)
    deliver_webhooks.call(ids)
    assert len(receiver.received) == count
    assert Delivery.objects.count() == count


def test_failures_are_retried_with_backoff_under_the_same_id(endpoints, receiver, new_request):
    receiver.status = 500
    deliver_webhooks.call([new_request.events.get().pk])
    failed = Delivery.objects.get(endpoint=endpoints["public"])
    assert (failed.state, failed.attempts, failed.last_status) == ("retrying", 1, 500)
    retry = task_rows(retry_delivery).get(args_kwargs__args=[failed.pk])
    assert retry.run_after == failed.next_attempt_at
    receiver.status = 204
    retry_delivery.call(failed.pk)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_status) == ("succeeded", 2, 204)
    ids = {m.headers["webhook-id"] for m in receiver.received if m.path == "/public"}
    assert ids == {f"evt_{new_request.events.get().pk}"}


def test_backoff_grows_and_then_gives_up(endpoints, receiver, new_request):
    receiver.status = 503
    deliver_webhooks.call([new_request.events.get().pk])
    failing = Delivery.objects.get(endpoint=endpoints["public"])
    waits = []
    while failing.state == "retrying":
        waits.append(failing.next_attempt_at - failing.created_at)
        retry_delivery.call(failing.pk)
        failing.refresh_from_db()
    assert failing.state == "failed"
    assert failing.attempts == len(sending.RETRY_DELAYS) + 1
    assert waits == sorted(waits) and len(set(waits)) == len(waits)
    retries = task_rows(retry_delivery).filter(args_kwargs__args=[failing.pk])
    assert retries.count() == len(sending.RETRY_DELAYS)


def test_a_deactivated_endpoint_stops_its_retries(endpoints, receiver, new_request):
    receiver.status = 500
    deliver_webhooks.call([new_request.events.get().pk])
    endpoint = endpoints["public"]
    endpoint.active = False
    endpoint.save()
    failed = Delivery.objects.get(endpoint=endpoint)
    retry_delivery.call(failed.pk)
    failed.refresh_from_db()
    assert failed.state == "failed" and "deactivated" in failed.last_error


def test_a_delivery_another_worker_holds_is_left_alone(endpoints, receiver, new_request):
    from django.utils import timezone

    endpoint = endpoints["public"]
    held = Delivery.objects.create(
        endpoint=endpoint,
        event=new_request.events.get(),
        body="{}",
        lease_until=timezone.now() + sending.LEASE,
    )
    assert sending.attempt(held.pk) is None
    assert receiver.received == []


def test_an_unreachable_receiver_is_a_failure_not_a_crash(receiver, new_request):
    port = receiver.port
    receiver.close()
    endpoint = WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{port}/gone")
    deliver_webhooks.call([new_request.events.get().pk])
    failed = Delivery.objects.get(endpoint=endpoint)
    assert failed.state == "retrying" and "ConnectionRefusedError" in failed.last_error
