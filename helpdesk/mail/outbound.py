"""Email to customers, sent by django-tasks so a slow mail server never holds up an action.

`enqueue_for(events)` is the hook workflows.log calls after a change commits. A public staff
reply (event "replied") and a request opened by email (an acknowledgement with the status
link) each become one email; nothing else does, so internal notes and task instructions never
reach a customer. Each email is composed once into the outbox (OutboundEmail) and sent from
there: a retry sends the same text under the same Message-ID.

Every email says it is automatic (Auto-Submitted, X-Auto-Response-Suppress) and carries our
loop header, so well-behaved auto-responders stay quiet and our own mail coming back is
recognised; its Reply-To (and envelope sender, for bounces) carries a signed reply token.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from helpdesk.mail import conf
from helpdesk.mail.addresses import LOOP_HEADER, loop_id, new_message_id, reply_address
from helpdesk.mail.models import OutboundEmail, ReceivedEmail
from helpdesk.mail.parsing import one_line
from helpdesk.models import Customer, Event, Message, Request

log = logging.getLogger(__name__)
Kind = OutboundEmail.Kind
Status = OutboundEmail.Status

MAX_ATTEMPTS = 5
THREAD_LENGTH = 10  # Message-IDs kept in References
STATUS_LINKS_LIMIT = 20


def enqueue_for(events):
    """Queue the customer emails these committed events call for. Cheap: no rendering here."""
    for event in events:
        if email_kind(event):
            email_event.enqueue(event.pk)


def email_kind(event):
    if event.type == "replied" and event.is_public:
        return Kind.REPLY
    if event.type == "request_opened" and event.payload.get("channel") == Request.Channel.EMAIL:
        return Kind.ACKNOWLEDGEMENT
    return None


@task()
def email_event(event_id):
    event = Event.objects.select_related("request__customer").filter(pk=event_id).first()
    kind = event and email_kind(event)
    if not kind:
        return "nothing to send"
    outbound = OutboundEmail.objects.filter(event=event).first()
    if outbound is None:
        composed = _compose_reply(event) if kind == Kind.REPLY else _compose_ack(event)
        if composed is None:
            return "nothing to send"
        outbound, _ = OutboundEmail.objects.get_or_create(event=event, defaults=composed)
    return _send(outbound.pk)


@task()
def email_status_links(address):
    """The customer's status links, to the address they gave. Unknown addresses get nothing,
    and the page that asked answered the same either way."""
    customer = Customer.objects.filter(email__iexact=address).first()
    if customer is None:
        return "nothing to send"
    requests = list(customer.requests.order_by("-created_at")[:STATUS_LINKS_LIMIT])
    if not requests:
        return "nothing to send"
    outbound = OutboundEmail.objects.create(
        kind=Kind.STATUS_LINKS,
        to=customer.email,
        reply_to=conf.mailbox(),
        message_id=new_message_id(),
        subject="Your requests with us",
        **_render(
            "status_links",
            {"customer": customer, "links": [(r, status_url(r)) for r in requests]},
        ),
    )
    return _send(outbound.pk)


@task()
def resend(outbound_id):
    return _send(outbound_id)


def status_url(request):
    return conf.base_url() + reverse("status:page", args=[request.public_token])


def _compose_reply(event):
    request = event.request
    message = (
        Message.objects.select_related("author_user")
        .filter(pk=event.payload.get("message_id"), request=request)
        .first()
    )
    # Only a staff member's public reply is ever mailed.
    if message is None or message.kind != Message.Kind.REPLY or message.author_user is None:
        return None
    return _for_request(
        Kind.REPLY,
        event,
        f"Re: {request.subject} [#{request.pk}]",
        _render("reply", {"req": request, "message": message, "status_url": status_url(request)}),
    )


def _compose_ack(event):
    request = event.request
    return _for_request(
        Kind.ACKNOWLEDGEMENT,
        event,
        f"We received your request: {request.subject} [#{request.pk}]",
        _render("ack", {"req": request, "status_url": status_url(request)}),
    )


def _for_request(kind, event, subject, bodies):
    request = event.request
    return {
        "kind": kind,
        "request": request,
        "to": request.customer.email,
        "reply_to": reply_address(request),
        "message_id": new_message_id(),
        "subject": one_line(subject, 300),
        "references": " ".join(_thread(request)),
        **bodies,
    }


def _render(name, context):
    return {
        "body_text": render_to_string(f"mail/{name}.txt", context),
        "body_html": render_to_string(f"mail/{name}.html", context),
    }


def _thread(request):
    """The request's Message-IDs so far, theirs and ours, oldest first, for References."""
    ids = list(
        ReceivedEmail.objects.filter(request=request)
        .exclude(message_id="")
        .values_list("received_at", "message_id")
    ) + list(OutboundEmail.objects.filter(request=request).values_list("created_at", "message_id"))
    return [message_id for _, message_id in sorted(ids)[-THREAD_LENGTH:]]


def automatic_headers():
    """What every email we send carries, so that no auto-responder answers it and our own
    ingest recognises it if it loops back."""
    return {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        LOOP_HEADER: loop_id(),
    }


def _email(outbound):
    headers = {
        "From": settings.DEFAULT_FROM_EMAIL,
        "Message-ID": outbound.message_id,
        **automatic_headers(),
    }
    if outbound.references:
        headers["References"] = outbound.references
        headers["In-Reply-To"] = outbound.references.split()[-1]
    email = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        from_email=outbound.reply_to,  # the envelope sender: a bounce comes back with the token
        to=[outbound.to],
        reply_to=[outbound.reply_to],
        headers=headers,
    )
    email.attach_alternative(outbound.body_html, "text/html")
    return email


def _send(outbound_id):
    """Send one outbox email unless it went already. The row lock keeps two workers from
    sending it twice; a failure is recorded and retried later with a growing delay."""
    error = None
    with transaction.atomic():
        outbound = OutboundEmail.objects.select_for_update().get(pk=outbound_id)
        if outbound.status == Status.SENT:
            return "already sent"
        outbound.attempts += 1
        try:
            _email(outbound).send()
        except Exception as exc:
            error = exc
            outbound.status = Status.FAILED
            outbound.last_error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            outbound.status = Status.SENT
            outbound.sent_at = timezone.now()
            outbound.last_error = ""
        outbound.save()
        if error is not None and outbound.attempts < MAX_ATTEMPTS:
            _retry_later(outbound)
    if error is not None:
        raise error
    return "sent"


def _retry_later(outbound):
    if not resend.get_backend().supports_defer:
        return
    delay = timedelta(minutes=4 ** (outbound.attempts - 1))
    log.warning("email %s failed (%s); retrying in %s", outbound.pk, outbound.last_error, delay)
    resend.using(run_after=timezone.now() + delay).enqueue(outbound.pk)
