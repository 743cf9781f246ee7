"""The Event table is the outbox: nothing committed is lost on the way to live clients, and
nothing rolled back is ever published."""

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from helpdesk.models import Event
from realtime import publisher, relay
from tests.realtime_support import close_worker_connections, connect, sync  # noqa: F401
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rolled_back_action_publishes_nothing(monkeypatch, agent, new_request):
    sent = []
    monkeypatch.setattr(publisher, "deliver", lambda message: sent.append(message) or True)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.add_internal_note(new_request.pk, agent, "never happened")
        raise RuntimeError("the caller failed after the action")
    assert sent == []
    assert not Event.objects.filter(type="note_added").exists()


async def test_an_event_whose_publish_was_lost_reaches_live_clients_through_the_relay(
    monkeypatch, agent, new_request
):
    socket = await connect(f"/ws/request/{new_request.pk}/", agent)
    # The process "dies" between commit and publish: the after-commit hand-over never happens.
    monkeypatch.setattr(publisher, "deliver", lambda message: False)
    note = await sync(actions.add_internal_note)(new_request.pk, agent, "LOST-IN-TRANSIT")
    event = await sync(Event.objects.get)(type="note_added", payload__message_id=note.pk)
    assert event.published_at is None
    monkeypatch.undo()
    # The hub's relay loop finds it once it is older than the grace period.
    await socket.until(lambda frame: "LOST-IN-TRANSIT" in frame)
    await sync(publisher.mark_published)()
    await sync(event.refresh_from_db)()
    assert event.published_at is not None
    assert socket.seen().count(event.seq) == 1
    await socket.close()


def test_the_relay_publishes_each_straggler_once_and_leaves_fresh_events_alone(
    monkeypatch, agent, new_request
):
    sent = []
    monkeypatch.setattr(publisher, "deliver", lambda message: False)  # no live hub here
    actions.add_internal_note(new_request.pk, agent, "fresh")
    monkeypatch.setattr(publisher, "deliver", lambda message: sent.append(message) or True)
    relay.publish_stragglers()
    assert sent == []  # younger than the grace period: the after-commit path owns it
    publisher.mark_published()
    stragglers = list(
        Event.objects.filter(published_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    assert stragglers
    with time_machine.travel(timezone.now() + relay.GRACE * 2):
        relay.publish_stragglers()
        relay.publish_stragglers()
    assert [m["event_ids"] for m in sent] == [stragglers]
    assert not Event.objects.filter(published_at__isnull=True).exists()
