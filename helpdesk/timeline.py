"""A page's run of a request's log, kept rendered in the cache.

Fifty entries were a third of a request page's time: loading them with their messages, tasks
and files, then about half a million instructions each in the template engine. Once written,
an entry changes only when the request's log moves on (a task's answer or its claimant comes
with an event of its own, which raises `last_event_seq`), or when something it shows is
corrected outside the log: a staff or customer name, a request's description or a task's
instructions in the admin. A run is kept under both: the request's last sequence number and
a generation that those corrections replace (`details_corrected`). Keys are never reused, so
nothing is ever deleted; a kept run just stops being asked for and expires.

Inside a run, each entry is kept too (`entries`), by its event, its task's last change and
the same generation: the first load after an event, which misses the run, renders one entry
rather than fifty, and none at all when a live push rendered it first.
"""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from helpdesk import cache_tokens, selectors
from helpdesk.mail.selectors import attachments_by_message
from helpdesk.models import Customer

GENERATION_KEY = "timeline:generation"
ENTRY_TEMPLATES = {
    False: "partials/timeline.html#staff_entry",
    True: "partials/timeline.html#public_entry",
}
# An entry's key changes with whatever it shows, so it may be kept as long as its request is
# worked on; the cache's own eviction bounds the memory.
ENTRY_KEPT_FOR = 7 * 24 * 3600


def generation():
    return cache_tokens.current([GENERATION_KEY])[0]


def details_corrected():
    """Something an entry shows changed without an event: every kept run and entry is stale."""
    cache_tokens.replace_after_commit(GENERATION_KEY)


@receiver([post_save, post_delete], sender=get_user_model())
@receiver([post_save, post_delete], sender=Customer)
def names_corrected(sender, instance, created=False, update_fields=None, **kwargs):
    """Entries name people. A new one is in no entry yet, and a login saves only its time."""
    if not created and set(update_fields or ()) != {"last_login"}:
        details_corrected()


def entries(req, events, *, public_only=False):
    """((seq, html), ...) for `events` (tasks attached: selectors.attach_tasks), each entry
    rendered once and kept; the ones not kept get their messages and files here, in one query
    each. The pages and the live pushes share the copies."""
    template = get_template(ENTRY_TEMPLATES[public_only])
    stamp = _stamp(public_only)
    keys = [_entry_key(event, stamp) for event in events]
    kept = cache.get_many(keys)
    missing = [(event, key) for event, key in zip(events, keys, strict=True) if key not in kept]
    if missing:
        events_missing = [event for event, _ in missing]
        selectors.attach_messages(events_missing)
        files = {} if public_only else attachments_by_message(req, events_missing)
        context = {"req": req, "attachments": files}
        rendered = {key: template.render(context | {"event": event}) for event, key in missing}
        cache.set_many(rendered, ENTRY_KEPT_FOR)
        kept |= rendered
    return tuple((event.seq, kept[key]) for event, key in zip(events, keys, strict=True))


def _stamp(public_only):
    """What every entry's key holds besides its own: audience, generation, language, zone."""
    return (
        "public" if public_only else "staff",
        generation(),
        get_language(),
        timezone.get_current_timezone_name(),
    )


def _entry_key(event, stamp):
    """The event, with its creation time (reloaded databases reuse pks), and its task's last
    change: a task entry shows the task's instructions, answer and assignee as they are now."""
    task = event.task
    changed = task.updated_at.timestamp() if task else ""
    return ":".join(map(str, ("entry", event.pk, event.created_at.timestamp(), changed, *stamp)))


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
    def html(self):
        rendered = entries(self.request, self.events, public_only=self.public_only)
        return mark_safe("".join(html for _, html in rendered))  # rendered by the templates
