"""After commit, hand a request's new events to every ASGI process.

The Event table is the outbox: an event is marked published once it is handed over, and
whatever a crash or an unreachable Redis leaves unpublished the relay picks up later.
Clients de-duplicate by sequence number, so a second delivery is harmless.

Marks are written in batches (at most every MARK_EVERY seconds per process, and by the
hub's relay loop): one UPDATE per action would cost a second commit, and its disk sync, on
every action. A mark lost to a crash only means the relay publishes that event once more.
"""

import json
import logging
import threading
import time
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.models import Event
from realtime import counts

log = logging.getLogger(__name__)

MARK_EVERY = 0.5
_unmarked = []
_unmarked_lock = threading.Lock()
_last_mark = [time.monotonic()]

# After these, who may watch the request changes: its open sockets check again.
ACCESS_CHANGING_EVENTS = {"transferred"}


def publish_after_commit(request, events):
    """Called by workflows.log inside the action's transaction; a rollback publishes nothing."""
    event_ids = [event.pk for event in events]
    topics = list_topics(request, events)
    recount = counts.changed_by(events)
    transaction.on_commit(
        lambda: publish(request.pk, event_ids, topics, recount=recount), robust=True
    )
    if any(event.type in ACCESS_CHANGING_EVENTS for event in events):
        transaction.on_commit(lambda: deliver({"recheck": request.pk}), robust=True)


def list_topics(request, events):
    """Queue and inbox lists that show this request: its department's, its task departments',
    and its assignee's."""
    departments = {request.department_id} | {
        e.payload[key]
        for e in events
        for key in ("department_id", "old_department_id")
        if key in e.payload
    }
    users = {request.assignee_id} | {
        user_id for e in events for user_id in e.payload.get("notified_user_ids", ())
    }
    topics = [f"dept:{d}" for d in sorted(departments)]
    topics += [f"user:{u}" for u in sorted(users - {None})]
    return topics


def publish(request_id, event_ids, topics, *, recount=True):
    """`recount`: the events may change what the lists count (realtime.counts.changed_by)."""
    if recount:
        counts.events_published()  # before the lists hear of it: their refresh counts afresh
    message = {"request_id": request_id, "event_ids": event_ids, "topics": topics}
    if not deliver(message):
        return False
    with _unmarked_lock:
        _unmarked.extend(event_ids)
        due = time.monotonic() - _last_mark[0] >= MARK_EVERY
    if due:
        mark_published()
    return True


def mark_published():
    """Record what this process handed over, so the relay leaves it alone."""
    with _unmarked_lock:
        event_ids = _unmarked[:]
        _unmarked.clear()
        _last_mark[0] = time.monotonic()
    if event_ids:
        Event.objects.filter(pk__in=event_ids, published_at__isnull=True).update(
            published_at=timezone.now()
        )


def deliver(message):
    """One message per process: Redis pub/sub when scaled, the local hub when embedded."""
    if settings.REDIS_URL:
        try:
            redis_client().publish(pubsub_channel(), json.dumps(message))
        except Exception as exc:  # Redis down must never fail a write: the relay retries.
            log.warning("live publish failed, left for the relay: %s", exc)
            return False
        return True
    from realtime.hub import hub

    return hub.submit_threadsafe(message)


def pubsub_channel():
    """Per database, so parallel test runs and several deployments on one Redis stay apart."""
    return f"nucleus:events:{connection.settings_dict['NAME']}"


@cache
def redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
