"""The SLA engine's own action: put an SLA moment on the request's timeline and tell people.

The engine's other effects go through the ordinary actions (escalate, change_priority, assign);
this one writes the event that says why, so every step shows up live like any other change.
"""

from django.core.mail import send_mass_mail
from django.db import transaction

from realtime import counts
from workflows.log import changing
from workflows.models import Notification
from workflows.permissions import staff_name

SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
SLA_STEP = "sla_step"
SLA_EVENT_TYPES = (SLA_WARNING, SLA_BREACHED, SLA_STEP)


def notify(request_id, *, event_type, text, users=(), link="", **facts):
    """Record `text` as an internal event of `event_type` and notify `users` in the app and by
    email (sent after commit, so a rolled-back step mails nobody)."""
    if event_type not in SLA_EVENT_TYPES:
        raise ValueError(f"Not an SLA event type: {event_type!r}")
    recipients = list({u.pk: u for u in users if u.is_active}.values())
    with changing(request_id, None) as change:
        change.record(
            event_type,
            public=False,
            text=text,
            notified=[staff_name(u) for u in recipients],
            notified_user_ids=[u.pk for u in recipients],
            **facts,
        )
        Notification.objects.bulk_create(
            Notification(user=u, request_id=request_id, text=text[:500], link=link)
            for u in recipients
        )
    mails = [(f"[Nucleus] {text[:150]}", f"{text}\n\n{link}", None, [u.email]) for u in recipients]
    mails = [m for m in mails if m[3][0]]
    if mails:
        # robust: a mail server outage is logged and never undoes the step.
        transaction.on_commit(lambda: send_mass_mail(mails), robust=True)
    return change.request


def mark_notifications_read(user, ids=None):
    """Mark the user's notifications read (these ids, or all); returns how many changed.
    No event says so, so the top bar's kept unread count is dropped here, after commit."""
    unread = Notification.objects.filter(user=user, read=False)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = unread.update(read=True)
    if changed:
        transaction.on_commit(counts.events_published)
    return changed
