"""One email in, one outcome out, in one transaction: it opens a request, joins one as a
customer's or a staff member's words, is ignored as automatic mail, or is kept aside whole.

Who wrote it is decided by signed reply tokens, never by the From header alone: a staff
member's email is posted as theirs only with a valid token bound to them and that request,
and mail from a staff address without one is kept aside for an admin.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from mailparser_reply import EmailReplyParser

from helpdesk.mail import conf, parsing
from helpdesk.mail.addresses import Kind, ReplyToken, read_token
from helpdesk.mail.models import Attachment, OutboundEmail, QuarantinedEmail, ReceivedEmail
from helpdesk.models import Customer, Department, Request
from workflows import actions, permissions
from workflows.actions.validation import MAX_TEXT
from workflows.errors import WorkflowError
from workflows.states import RequestStatus

log = logging.getLogger(__name__)
Outcome = ReceivedEmail.Outcome
# Quoted history is looked for in this much text; a reply longer than that is kept whole.
TRIM_WINDOW = 100_000


@dataclass(frozen=True)
class Ingested:
    email: ReceivedEmail
    duplicate: bool  # seen before (same Message-ID): nothing was done again


@dataclass(frozen=True)
class Thread:
    """The request an email belongs to, and the verified token that said so, if any."""

    request: Request | None = None
    token: ReplyToken | None = None


def ingest(raw):
    """Import one raw RFC 5322 message. Redelivery of the same message changes nothing."""
    with transaction.atomic():
        envelope = parsing.read_envelope(raw)
        received, created = ReceivedEmail.objects.get_or_create(
            dedupe_key=envelope.dedupe_key(raw),
            defaults={
                "message_id": envelope.message_id,
                "sender": envelope.sender,
                "sender_name": envelope.sender_name,
                "subject": envelope.subject,
                "size": len(raw),
            },
        )
        if created:
            _route(received, raw, envelope)
            received.save()
        return Ingested(received, duplicate=not created)


def _route(received, raw, envelope):
    thread = match_thread(envelope)
    received.request = thread.request
    if envelope.automatic:
        return _ignore(received, envelope)
    if len(raw) > conf.max_bytes():
        megabytes = conf.max_bytes() / 1024 / 1024
        return _quarantine(received, raw, f"It is larger than {megabytes:g} MB.")
    if not envelope.sender:
        return _quarantine(received, raw, "It has no valid sender address.")
    try:
        content = parsing.read_content(raw)
    except Exception:
        log.exception("unreadable email %s kept aside", envelope.message_id)
        return _quarantine(received, raw, "It could not be read.")
    staff = _staff_author(envelope, thread)
    if staff is not None:
        return _post_as_staff(received, raw, content, thread, staff)
    if is_staff_address(envelope.sender):
        return _quarantine(
            received, raw, "It comes from a staff address but has no valid reply token."
        )
    if thread.request is not None and thread.request.status != RequestStatus.CLOSED:
        return _customer_reply(received, raw, envelope, content, thread.request)
    return _open_request(received, envelope, content)


def match_thread(envelope):
    """A valid reply token in a recipient address first, then a Message-ID we sent (or the
    same sender's earlier mail) in In-Reply-To or References."""
    for address in envelope.recipients:
        token = read_token(address)
        request = token and Request.objects.filter(pk=token.request_id).first()
        if request:
            return Thread(request, token)
    if not envelope.thread_ids:
        return Thread()
    sent = (
        OutboundEmail.objects.filter(message_id__in=envelope.thread_ids, request__isnull=False)
        .select_related("request")
        .first()
    )
    if sent:
        return Thread(sent.request)
    earlier = (
        ReceivedEmail.objects.filter(
            message_id__in=envelope.thread_ids,
            sender__iexact=envelope.sender,
            request__isnull=False,
        )
        .select_related("request")
        .first()
    )
    return Thread(earlier.request if earlier else None)


def _staff_author(envelope, thread):
    """The staff user this email is from: their token, for this request, sent from their
    own address. Anything less and it is not theirs."""
    token = thread.token
    if token is None or not token.is_staff:
        return None
    user = get_user_model().objects.filter(pk=token.user_id, is_active=True).first()
    if user and user.email and user.email.lower() == envelope.sender.lower():
        return user
    return None


def is_staff_address(address):
    users = get_user_model().objects.filter(email__iexact=address)
    return any(user.is_staff or permissions.is_staff_member(user) for user in users)


def _post_as_staff(received, raw, content, thread, user):
    body = _body(content, reply=True)
    try:
        if thread.token.kind == Kind.STAFF_NOTE:
            message = actions.add_internal_note(thread.request.pk, user, body)
            received.outcome = Outcome.STAFF_NOTE
        else:
            message = actions.reply(thread.request.pk, user, body)
            received.outcome = Outcome.STAFF_REPLY
    except WorkflowError as error:
        return _quarantine(received, raw, f"{user} could not post it: {error.message}")
    received.posted = message
    _store_files(received, content, message=message)


def _customer_reply(received, raw, envelope, content, request):
    """Posted as the sender's own customer record; the action refuses anyone but the request's
    customer and their colleagues, and such mail is kept aside rather than posted in a
    stranger's name (nor does it create a customer for them)."""
    author = Customer.objects.filter(email__iexact=envelope.sender).first()
    try:
        message = actions.customer_reply(request.pk, author, _body(content, reply=True))
    except WorkflowError as error:
        return _quarantine(received, raw, f"{envelope.sender} could not post it: {error.message}")
    received.outcome = Outcome.REPLIED
    received.posted = message
    _store_files(received, content, message=message)


def _open_request(received, envelope, content):
    department = Department.objects.filter(slug=conf.department_slug()).first()
    if received.request is not None:  # answering a closed request starts a new one
        received.detail = f"Request #{received.request.pk} is closed, so a new one was opened."
    request = actions.open_request(
        customer=customer_for(envelope),
        subject=envelope.subject[:200] or "(no subject)",
        body=_body(content, reply=False),
        department=department,
        channel=Request.Channel.EMAIL,
    )
    received.outcome = Outcome.OPENED
    received.request = request
    _store_files(received, content)


def customer_for(envelope):
    """The customer with the sender's address, created the first time they write."""
    customer = Customer.objects.filter(email__iexact=envelope.sender).first()
    if customer is None:
        name = envelope.sender_name or envelope.sender.partition("@")[0]
        customer, _ = Customer.objects.get_or_create(
            email=envelope.sender, defaults={"name": name[:200]}
        )
    return customer


def _body(content, *, reply):
    """The text to post: a reply without its quoted history; over-long text is cut, and the
    whole of it kept as a file so nothing is lost."""
    text = content.text
    if reply and len(text) <= TRIM_WINDOW:
        text = (EmailReplyParser(languages=["en"]).parse_reply(text) or text).strip()
    if not text:
        return "(No text; see the attached files.)" if content.files else "(No text.)"
    if len(text) > MAX_TEXT:
        content.files.append(
            parsing.File("full-message.txt", "text/plain", content.text.encode("utf-8"))
        )
        note = "\n\n[Cut here: the whole message is attached as full-message.txt.]"
        text = text[: MAX_TEXT - len(note)] + note
    return text


def _store_files(received, content, *, message=None):
    Attachment.objects.bulk_create(
        Attachment(
            request=received.request,
            message=message,
            received=received,
            filename=file.filename,
            content_type=file.content_type,
            size=len(file.data),
            data=file.data,
        )
        for file in content.files
    )


def _ignore(received, envelope):
    """Automatic mail never opens a request or posts a message, so nothing can answer it.
    A bounce or auto-reply on a known request leaves staff a note; our own mail looping back
    leaves nothing."""
    received.outcome = Outcome.IGNORED
    received.detail = f"Automatic email ({envelope.automatic})."
    if received.request is not None and envelope.automatic != "loop":
        _notify(
            received,
            f"An automatic email ({envelope.automatic}) arrived from {_sender(received)}: "
            f"\u201c{received.subject}\u201d. Nothing was sent in answer.",
        )


def _quarantine(received, raw, reason):
    """Keep the whole message aside for an admin; import none of it."""
    kept = QuarantinedEmail.objects.create(received=received, reason=reason, raw=raw)
    received.outcome = Outcome.QUARANTINED
    received.detail = reason
    if received.request is not None:
        _notify(
            received,
            f"An email from {_sender(received)} (\u201c{received.subject}\u201d) was kept aside "
            f"and not imported. {reason} An admin can review it under Quarantined emails "
            f"(#{kept.pk}).",
        )


def _sender(received):
    return received.sender or "an unknown sender"


def _notify(received, text):
    actions.add_internal_note(received.request.pk, None, text)
