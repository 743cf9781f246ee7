"""The outbox relay: publishes events that committed but were never handed over.

That happens when a process dies between commit and publish, when Redis was unreachable, or
when the event came from a process with no live hub (a background worker on the embedded
default). Only events older than a grace period are taken, so the normal after-commit path
is not raced; on PostgreSQL, skip_locked lets several processes relay side by side.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk.models import Event
from realtime.counts import changed_by
from realtime.publisher import list_topics, mark_published, publish

GRACE = timedelta(seconds=2)  # longer than publisher.MARK_EVERY: marks may lag
BATCH = 500


def publish_stragglers():
    mark_published()
    with transaction.atomic():
        stragglers = list(
            Event.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(published_at__isnull=True, created_at__lt=timezone.now() - GRACE)
            .select_related("request")
            .order_by("id")[:BATCH]
        )
        by_request = {}
        for event in stragglers:
            by_request.setdefault(event.request_id, []).append(event)
        for events in by_request.values():
            request = events[0].request
            topics = list_topics(request, events)
            publish(request.pk, [e.pk for e in events], topics, recount=changed_by(events))
    return len(stragglers)
