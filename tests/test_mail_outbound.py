"""Outbound email: a public reply reaches the customer from a background task, marked as
automatic, with a signed reply address and a remembered Message-ID; nothing internal leaks."""

import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks_db.models import DBTaskResult

from helpdesk.mail.addresses import LOOP_HEADER, loop_id, read_token
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import OutboundEmail
from helpdesk.mail.outbound import resend
from helpdesk.models import Event
from tests.test_mail_support import build_email, flush_mail, reply_to_of, run_tasks, text_of
from workflows import actions

MARKER = "INTERNAL-ONLY-7f3a"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")


def test_a_public_reply_is_emailed_from_a_task_with_our_headers(new_request, agent):
    message = actions.reply(new_request.pk, agent, "Could you send a photo of the damage?")
    assert mail.outbox == []  # the action only queued it: a slow mail server cannot hold it up

    run_tasks()
    [email] = mail.outbox
    assert email.to == [new_request.customer.email]
    assert email.subject == f"Re: Refund please [#{new_request.pk}]"
    assert "Could you send a photo of the damage?" in email.body
    assert f"/status/{new_request.public_token}/" in email.body
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert email.extra_headers[LOOP_HEADER] == loop_id()
    token = read_token(reply_to_of(email))
    assert (token.request_id, token.is_staff) == (new_request.pk, False)
    assert email.from_email == reply_to_of(email)  # bounces come back carrying the token
    sent = OutboundEmail.objects.get()
    assert sent.message_id == email.extra_headers["Message-ID"]
    assert (sent.status, sent.request, sent.event.payload["message_id"]) == (
        "sent",
        new_request,
        message.pk,
    )


def test_each_event_is_emailed_once_however_often_it_is_queued(new_request, agent):
    actions.reply(new_request.pk, agent, "One answer.")
    assert len(flush_mail()) == 1
    assert flush_mail() == []
    assert OutboundEmail.objects.count() == 1


def test_internal_notes_and_task_instructions_never_reach_the_customer(
    new_request, agent, departments
):
    actions.assign(new_request.pk, agent, agent)
    actions.add_internal_note(new_request.pk, agent, f"Customer is difficult {MARKER}")
    actions.hand_off(
        new_request.pk, agent, department=departments["finance"], instructions=f"Refund {MARKER}"
    )
    assert flush_mail() == []  # none of that is an email

    actions.reply(new_request.pk, agent, "We are refunding you.")
    emails = flush_mail()
    assert len(emails) == 1
    for email in emails:
        assert MARKER not in text_of(email)
    assert MARKER not in "".join(OutboundEmail.objects.values_list("body_text", "body_html")[0])


def test_an_email_request_gets_an_acknowledgement_threaded_under_its_email(departments):
    raw = build_email()
    ingest(raw)
    [ack] = flush_mail()
    customer_message_id = ack.extra_headers["In-Reply-To"]
    assert customer_message_id in raw.decode()
    assert "We received your request" in ack.subject
    assert "/status/" in ack.body


def test_requests_from_other_channels_get_no_acknowledgement(new_request):
    assert new_request.channel == "web"
    assert flush_mail() == []


def test_a_failed_send_is_recorded_and_retried_later(new_request, agent, settings):
    settings.EMAIL_BACKEND = "tests.test_mail_outbound.FailingBackend"
    actions.reply(new_request.pk, agent, "Answer.")
    flush_mail()

    sent = OutboundEmail.objects.get()
    assert (sent.status, sent.attempts) == ("failed", 1)
    assert "SMTPServerDisconnected" in sent.last_error
    retry = DBTaskResult.objects.get(task_path=resend.module_path)
    assert retry.run_after > sent.created_at  # later, not in a hot loop

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    resend.call(sent.pk)
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, len(mail.outbox)) == ("sent", 2, 1)
    assert mail.outbox[0].extra_headers["Message-ID"] == sent.message_id


def test_no_email_for_customer_words_or_internal_events(new_request, agent):
    actions.customer_reply(new_request.pk, new_request.customer, "Hello?")
    actions.assign(new_request.pk, agent, agent)
    types = set(Event.objects.values_list("type", flat=True))
    assert {"customer_replied", "assigned"} <= types
    assert flush_mail() == []
