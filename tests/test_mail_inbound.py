"""Inbound email: new requests, threading by token and by In-Reply-To, staff spoofing,
automatic mail, oversized mail, HTML sanitising, and one transaction per email."""

import io
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from helpdesk.mail.addresses import reply_address
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import Attachment, QuarantinedEmail, ReceivedEmail
from helpdesk.models import Customer, Event, Message, Request
from tests.test_mail_support import build_email, flush_mail, reply_to_of

Outcome = ReceivedEmail.Outcome
QUOTED = (
    "Here is the photo you asked for.\n\n"
    "On Tue, 3 Nov 2026 at 10:00, Nucleus <support@nucleus.example> wrote:\n"
    "> Could you send a photo of the damage?\n"
    "> SECRET-OLD-HISTORY\n"
)


def only_request():
    assert Request.objects.count() == 1
    return Request.objects.get()


def test_new_email_opens_a_request_for_a_new_customer(departments):
    result = ingest(
        build_email(
            sender="Bo Brown <bo@example.org>",
            files=[("photo.jpg", "image/jpeg", b"\xff\xd8jpeg-bytes")],
        )
    )

    request = only_request()
    assert result.email.outcome == Outcome.OPENED and not result.duplicate
    assert result.email.request == request
    assert request.channel == Request.Channel.EMAIL
    assert request.subject == "Order 42 arrived broken"
    assert "vase inside is in pieces" in request.body
    assert request.customer == Customer.objects.get(email="bo@example.org", name="Bo Brown")
    assert request.events.get().type == "request_opened"
    file = Attachment.objects.get()
    assert (file.request, file.message, file.filename) == (request, None, "photo.jpg")
    assert (file.content_type, bytes(file.data)) == ("image/jpeg", b"\xff\xd8jpeg-bytes")


def test_a_known_customer_keeps_their_record(customer, departments):
    ingest(build_email(sender="ANN@acme.example"))
    assert only_request().customer == customer
    assert Customer.objects.count() == 1


def test_the_same_email_delivered_twice_is_imported_once(departments):
    raw = build_email()
    first, second = ingest(raw), ingest(raw)
    assert second.duplicate and second.email == first.email
    assert Request.objects.count() == 1


def test_another_sender_reusing_a_message_id_is_not_a_duplicate(departments):
    reused = {"Message-ID": "<1@careless.example>"}
    ingest(build_email(headers=reused))
    assert not ingest(build_email(sender="bo@example.org", headers=reused)).duplicate
    assert Request.objects.count() == 2


def test_reply_threads_by_reply_token_and_trims_quoted_history(new_request, agent):
    raw = build_email(to=reply_address(new_request), subject="Re: Refund please", text=QUOTED)
    result = ingest(raw)

    assert result.email.outcome == Outcome.REPLIED
    message = new_request.messages.get()
    assert message.author_customer == new_request.customer
    assert message.body == "Here is the photo you asked for."
    assert new_request.events.last().type == "customer_replied"
    assert Request.objects.count() == 1


def test_reply_threads_by_in_reply_to_a_message_id_we_sent(new_request, agent):
    from workflows import actions

    actions.reply(new_request.pk, agent, "Could you send a photo of the damage?")
    [sent] = flush_mail()
    ingest(
        build_email(
            subject="Re: whatever the client made of it",
            text=QUOTED,
            headers={"In-Reply-To": sent.extra_headers["Message-ID"]},
        )
    )

    new_request.refresh_from_db()
    assert new_request.status == "open"  # the customer answered: back to the owner
    assert new_request.messages.last().body == "Here is the photo you asked for."
    assert Request.objects.count() == 1


def test_a_full_round_trip_through_the_reply_to_address(departments, make_staff):
    from workflows import actions

    agent = make_staff("agent2")
    ingest(build_email())
    request = only_request()
    [ack] = flush_mail()
    actions.reply(request.pk, agent, "Sorry about that. A photo, please?")
    [answer] = flush_mail()
    assert answer.extra_headers["In-Reply-To"] == ack.extra_headers["Message-ID"]

    ingest(build_email(to=reply_to_of(answer), subject="Re: x", text=QUOTED))

    assert [m.body for m in request.messages.order_by("pk")][-1] == (
        "Here is the photo you asked for."
    )
    assert flush_mail() == []  # a customer's words are never echoed back to them


def test_a_follow_up_to_ones_own_email_joins_the_same_request(departments):
    first = build_email()
    ingest(first)
    original_id = ReceivedEmail.objects.get().message_id
    ingest(build_email(text="Forgot to say: order 42.", headers={"In-Reply-To": original_id}))
    assert only_request().messages.get().body == "Forgot to say: order 42."

    # The same Message-ID from someone else does not get them into Ann's request.
    ingest(build_email(sender="eve@evil.example", headers={"In-Reply-To": original_id}))
    assert Request.objects.count() == 2


def test_replying_to_a_closed_request_opens_a_new_one(request_in):
    closed = request_in("closed")
    result = ingest(build_email(to=reply_address(closed), text="One more thing."))
    assert result.email.outcome == Outcome.OPENED
    assert result.email.request != closed
    assert f"#{closed.pk} is closed" in result.email.detail


def test_a_forged_or_foreign_token_does_not_thread(new_request, departments):
    address = reply_address(new_request)
    local, domain = address.split("@")
    forged = f"{local[:-3]}AAA@{domain}"
    ingest(build_email(to=forged, text="hello"))
    assert Request.objects.count() == 2
    assert not new_request.messages.exists()


# Staff replies -------------------------------------------------------------------------


@pytest.fixture
def staffed(new_request, make_staff):
    agent = make_staff("sam", email="sam@nucleus.example")
    return new_request, agent


def test_staff_reply_with_their_token_is_posted_as_them(staffed):
    request, agent = staffed
    result = ingest(
        build_email(
            sender="Sam <SAM@nucleus.example>",
            to=reply_address(request, user=agent),
            text="We will send a new vase today.\n\nOn Mon, Ann wrote:\n> broken",
        )
    )
    assert result.email.outcome == Outcome.STAFF_REPLY
    message = request.messages.get()
    assert (message.kind, message.author_user, message.body) == (
        Message.Kind.REPLY,
        agent,
        "We will send a new vase today.",
    )
    event = request.events.get(type="replied")
    assert (event.actor, event.is_public) == (agent, True)
    [email] = flush_mail()[-1:]
    assert "We will send a new vase today." in email.body


def test_staff_note_token_posts_an_internal_note_that_no_customer_sees(staffed):
    request, agent = staffed
    ingest(
        build_email(
            sender="sam@nucleus.example",
            to=reply_address(request, user=agent, note=True),
            text="INTERNAL-MARKER check the courier first",
        )
    )
    message = request.messages.get()
    assert (message.kind, message.author_user) == (Message.Kind.NOTE, agent)
    assert request.events.last().visibility == Event.Visibility.INTERNAL
    assert flush_mail() == []


def spoof_outcome(request, **email):
    result = ingest(build_email(**email))
    assert result.email.outcome == Outcome.QUARANTINED
    assert not Message.objects.filter(author_user__isnull=False).exists()
    assert not Event.objects.filter(type="replied").exists()
    return result


def test_staff_address_without_any_token_is_kept_aside(staffed):
    request, _ = staffed
    result = spoof_outcome(request, sender="Sam <sam@nucleus.example>", text="Refund approved")
    assert Request.objects.count() == 1  # no request opened in anyone's name
    assert "no valid reply token" in result.email.quarantine.reason


def test_staff_address_with_the_customers_token_is_kept_aside_with_a_note(staffed):
    request, _ = staffed
    spoof_outcome(request, sender="sam@nucleus.example", to=reply_address(request))
    note = request.messages.get()
    assert note.kind == Message.Kind.NOTE and note.author_user is None
    assert "kept aside" in note.body


def test_a_staff_token_sent_from_another_staff_address_is_kept_aside(staffed, make_staff):
    request, agent = staffed
    make_staff("mallory", email="mallory@nucleus.example")
    spoof_outcome(request, sender="mallory@nucleus.example", to=reply_address(request, user=agent))


def test_an_expired_staff_token_is_kept_aside(staffed):
    request, agent = staffed
    address = reply_address(request, user=agent)
    with time_machine.travel(timedelta(days=91)):
        spoof_outcome(request, sender="sam@nucleus.example", to=address)


def test_staff_who_lost_access_cannot_post_with_an_old_token(staffed):
    request, agent = staffed
    address = reply_address(request, user=agent)
    agent.memberships.all().delete()
    spoof_outcome(request, sender="sam@nucleus.example", to=address)


def test_a_staff_token_in_a_customers_hands_only_makes_a_customer_reply(staffed):
    request, agent = staffed
    result = ingest(build_email(to=reply_address(request, user=agent), text="me again"))
    assert result.email.outcome == Outcome.REPLIED
    message = request.messages.get()
    assert message.author_user is None and message.author_customer == request.customer


# Automatic mail ------------------------------------------------------------------------

AUTOMATIC = {
    "auto-submitted": {"headers": {"Auto-Submitted": "auto-replied"}},
    "precedence bulk": {"headers": {"Precedence": "bulk"}},
    "precedence junk": {"headers": {"Precedence": "junk"}},
    "precedence list": {"headers": {"Precedence": "list"}},
    "x-auto-response-suppress": {"headers": {"X-Auto-Response-Suppress": "All"}},
    "mailer-daemon": {"sender": "Mail Delivery System <MAILER-DAEMON@mx.example>"},
    "postmaster": {"sender": "postmaster@acme.example"},
    "empty return path": {"headers": {"Return-Path": "<>"}},
    "delivery report": {
        "content_type": 'multipart/report; report-type=delivery-status; boundary="b"'
    },
    "our loop header": {"headers": {"X-Nucleus-Loop": "abc"}},
    "from ourselves": {"sender": "support@nucleus.example"},
}


@pytest.mark.parametrize("shape", AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_automatic_mail_opens_nothing_and_triggers_no_email(departments, shape):
    result = ingest(build_email(**shape))
    assert result.email.outcome == Outcome.IGNORED
    assert not Request.objects.exists()
    assert flush_mail() == []


@pytest.mark.parametrize("shape", AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_automatic_mail_on_a_request_posts_no_reply_and_moves_nothing(request_in, shape, footprint):
    request = request_in("waiting_on_customer")
    flush_mail()
    before = footprint(request)
    shape = {**shape, "to": reply_address(request)}
    ingest(build_email(**shape))
    after = footprint(request)
    assert after["request"][0] == "waiting_on_customer"
    new_messages = Message.objects.filter(pk__in=set(after["messages"]) - set(before["messages"]))
    assert all(m.kind == Message.Kind.NOTE and m.author_user is None for m in new_messages)
    assert flush_mail() == []


def test_auto_submitted_no_is_a_person(departments):
    assert ingest(build_email(headers={"Auto-Submitted": "no"})).email.outcome == "opened"


# Oversized and unreadable mail ---------------------------------------------------------


def test_oversized_mail_is_kept_aside_whole_with_a_note(new_request, settings):
    settings.NUCLEUS_MAIL_MAX_BYTES = 4096
    raw = build_email(
        to=reply_address(new_request), files=[("big.bin", "application/octet-stream", b"x" * 8000)]
    )
    result = ingest(raw)

    assert result.email.outcome == Outcome.QUARANTINED
    kept = QuarantinedEmail.objects.get()
    assert bytes(kept.raw) == raw and "larger than" in kept.reason
    assert not Attachment.objects.exists()
    note = new_request.messages.get()
    assert note.kind == Message.Kind.NOTE and f"#{kept.pk}" in note.body
    assert [e.type for e in new_request.events.all()] == ["request_opened", "note_added"]


def test_oversized_new_mail_opens_nothing(departments, settings):
    settings.NUCLEUS_MAIL_MAX_BYTES = 1024
    ingest(build_email(text="x" * 5000))
    assert not Request.objects.exists() and QuarantinedEmail.objects.count() == 1


def test_a_failure_half_way_leaves_nothing_behind(departments, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Attachment.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        ingest(build_email(files=[("a.txt", "text/plain", b"a")]))
    assert not Request.objects.exists()
    assert not Event.objects.exists()
    assert not ReceivedEmail.objects.exists()
    assert not Customer.objects.exists()


def test_long_text_is_cut_and_kept_whole_as_a_file(departments):
    text = "word " * 10_000
    ingest(build_email(text=text))
    request = only_request()
    assert len(request.body) <= 20_000 and "full-message.txt" in request.body
    file = Attachment.objects.get(filename="full-message.txt")
    assert bytes(file.data).decode().strip() == text.strip()


# HTML and display names ----------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click me</a>',
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<a href="JaVaScRiPt:alert(1)">case</a>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mi xlink:href=javascript:alert(1)>m</mi></math>",
]
FORBIDDEN = ["<script", "onerror", "onload", "javascript:", "alert(", "<iframe", "<svg", "<img"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_only_bodies_are_sanitised_to_text(departments, payload):
    ingest(build_email(text=None, html=f"<html><body><p>Hello</p>{payload}</body></html>"))
    body = only_request().body
    assert body.startswith("Hello")
    lowered = body.lower()
    assert not [bad for bad in FORBIDDEN if bad in lowered]


def test_html_becomes_readable_text(departments):
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Dear team,</p><ul><li>one</li><li>two</li></ul>"
        '<p>See <a href="https://acme.example/x">our page</a>.</p></body></html>'
    )
    ingest(build_email(text=None, html=html))
    assert only_request().body == (
        "Dear team,\n\n- one\n- two\n\nSee our page (https://acme.example/x)."
    )


def test_names_and_subjects_are_stored_as_text_and_escaped_on_every_page(
    departments, make_staff, client
):
    admin = make_staff("boss", role="admin")
    name, subject = "<img src=x onerror=alert(1)>", "<script>alert('subject')</script>"
    ingest(build_email(sender=f'"{name}" <x@acme.example>', subject=subject, text=subject))
    request = only_request()
    assert (request.customer.name, request.subject) == (name, subject)

    client.force_login(admin)
    staff_page = client.get(f"/console/r/{request.pk}/").content.decode()
    status_page = client.get(f"/status/{request.public_token}/").content.decode()
    for page in (staff_page, status_page):
        assert "&lt;script&gt;alert(" in page
        assert "<script>alert(" not in page and "<img src=x" not in page
    [ack] = flush_mail()
    assert "<img src=x" not in ack.alternatives[0][0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in ack.alternatives[0][0]


# Ways in -------------------------------------------------------------------------------


def test_manage_py_ingest_email_reads_standard_input(departments, monkeypatch, capsys):
    raw = build_email()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("ingest_email")
    assert "Opened a request" in capsys.readouterr().out
    assert only_request().channel == "email"


@pytest.mark.django_db(transaction=True)
def test_the_same_email_racing_itself_opens_one_request(requires_postgres, departments):
    raw = build_email()
    outcomes, barrier = [], threading.Barrier(2)

    def deliver():
        barrier.wait()
        try:
            outcomes.append(ingest(raw).duplicate)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    assert Request.objects.count() == 1
