"""A page's run of a request's log, kept rendered in the cache.

Fifty entries were a third of a request page's time: loading them with their messages, tasks
and files, then about half a million instructions each in the template engine. Once written,
an entry changes only when the request's log moves on (a task's answer or its claimant comes
with an event of its own, which raises `last_event_seq`), or when something it shows is
corrected outside the log: a staff or customer name, a request's description or a task's
instructions in the admin. A run is kept under both: the request's last sequence number and
a generation that those corrections replace (`details_corrected`). Keys are never reused, so
nothing is ever deleted; a kept run just stops being asked for and expires.
"""

import secrets
from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_language

from helpdesk import selectors
from helpdesk.mail.selectors import attachments_by_message
from helpdesk.models import Customer

GENERATION_KEY = "timeline:generation"


def generation():
    """A fresh random value whenever the key is missing (never seen, evicted, or the cache out
    of reach), so that a lost key cannot bring back a generation runs were kept under."""
    return cache.get_or_set(GENERATION_KEY, lambda: secrets.token_hex(8), timeout=None)


def details_corrected():
    """Something an entry shows changed without an event: every kept run is stale once it
    commits (before, a page could keep the old details under the new generation)."""
    transaction.on_commit(
        lambda: cache.set(GENERATION_KEY, secrets.token_hex(8), timeout=None), robust=True
    )


@receiver([post_save, post_delete], sender=get_user_model())
@receiver([post_save, post_delete], sender=Customer)
def names_corrected(sender, instance, created=False, update_fields=None, **kwargs):
    """Entries name people. A new one is in no entry yet, and a login saves only its time."""
    if not created and set(update_fields or ()) != {"last_login"}:
        details_corrected()


class Run:
    """What timeline.html#history shows, loaded only if its kept copy is missing: a page that
    finds it asks the database nothing for its entries."""

    def __init__(self, request, *, public_only=False, before_seq=None, known_tasks=()):
        self.request = request
        self.public_only = public_only
        self.before_seq = before_seq
        self.known_tasks = known_tasks

    @cached_property
    def version(self):
        """What the kept copy is named by, with the entry template and page it is part of.
        The request's creation time beside its key: a database loaded afresh (the demo, the
        bench) reuses keys and sequence numbers, while the cache may still hold the old runs."""
        parts = (
            self.request.pk,
            self.request.created_at.timestamp(),
            self.request.last_event_seq,
            self.before_seq,
            self.public_only,
            generation(),
            get_language(),
            timezone.get_current_timezone_name(),
        )
        return ":".join(map(str, parts))

    @cached_property
    def _loaded(self):
        return selectors.recent_timeline(
            self.request,
            public_only=self.public_only,
            before_seq=self.before_seq,
            known_tasks=self.known_tasks,
        )

    @property
    def events(self):
        return self._loaded[0]

    @property
    def earlier(self):
        return self._loaded[1]

    @cached_property
    def attachments(self):
        """Staff entries list a message's files; the customer's status page does not."""
        return {} if self.public_only else attachments_by_message(self.request)
