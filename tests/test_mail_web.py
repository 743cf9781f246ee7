"""The email channel's web ends: attachment downloads, "resend my status link", the inbound
webhook."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk import selectors
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import Attachment, ReceivedEmail
from helpdesk.models import Request
from realtime import fragments
from tests.test_mail_support import build_email, run_tasks
from workflows import actions

# RFC 2231 lets a file name carry anything, line breaks included.
EVIL_NAME = (
    b"filename*=utf-8''%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%0D%0AX-Injected%3A%201.html"
)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def open_with_file(sender, filename_param, data=b"<script>alert(1)</script>"):
    raw = build_email(sender=sender, files=[("file.html", "text/html", data)])
    result = ingest(raw.replace(b'filename="file.html"', filename_param))
    return result.email.request, Attachment.objects.get(request=result.email.request)


def url(request, attachment):
    return f"/console/r/{request.pk}/attachments/{attachment.pk}/"


@pytest.fixture
def two_requests(departments):
    a = open_with_file("ann@acme.example", b'filename="a.html"')
    b = open_with_file("bo@example.org", EVIL_NAME)
    return a, b


def test_attachments_download_as_opaque_files(two_requests, agent, client):
    (_, _), (request, attachment) = two_requests
    # Kept as the sender wrote it, as one line of text.
    assert attachment.filename == '"><script>alert(1)</script> X-Injected: 1.html'
    client.force_login(agent)
    response = client.get(url(request, attachment))

    assert response.status_code == 200
    assert response.content == b"<script>alert(1)</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "\r" not in disposition and "\n" not in disposition
    assert "x-injected" not in {name.lower() for name in response.headers}
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_request_page_and_its_live_entries_list_each_emails_files(two_requests, agent, client):
    (request, attachment), (evil_request, evil) = two_requests
    client.force_login(agent)
    html = client.get(f"/console/r/{request.pk}/").content.decode()
    assert f'href="{url(request, attachment)}"' in html and ">a.html</a>" in html
    evil_html = client.get(f"/console/r/{evil_request.pk}/").content.decode()
    assert f'href="{url(evil_request, evil)}"' in evil_html
    assert "<script>alert(1)" not in evil_html  # the sender's file name is escaped

    # A push renders the same entries, looking the files up once however many there are
    # (and not at all for entries kept rendered, as the page's are).
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        push = fragments.staff_push(request, selectors.timeline(request))
    assert f'href="{url(request, attachment)}"' in push.html
    assert sum("mail_attachment" in q["sql"] for q in queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        again = fragments.staff_push(request, selectors.timeline(request))
    assert again.html == push.html
    assert not [q for q in queries.captured_queries if "mail_attachment" in q["sql"]]


def test_entries_rendered_after_an_event_look_up_only_their_own_files(two_requests, agent):
    """A long thread's files are many; the entry or two rendered after an event need theirs
    only, and a status change none at all."""
    (request, opening_file), _ = two_requests
    answer = actions.customer_reply(request.pk, request.customer, "Here is the invoice.")
    Attachment.objects.create(
        request=request,
        message=answer,
        received=opening_file.received,
        filename="invoice.pdf",
        content_type="application/pdf",
        size=3,
        data=b"pdf",
    )
    actions.resolve(request.pk, agent)
    events = {e.type: e for e in selectors.timeline(request)}
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        push = fragments.staff_push(request, [events["customer_replied"]])
    assert ">invoice.pdf</a>" in push.html and ">a.html</a>" not in push.html
    (files_query,) = [q["sql"] for q in queries.captured_queries if "mail_attachment" in q["sql"]]
    assert '"mail_attachment"."message_id" >=' in files_query
    assert "IS NULL" not in files_query  # the opening email's files are not asked for
    with CaptureQueriesContext(connection) as queries:
        fragments.staff_push(request, [events["status_changed"]])
    assert not [q for q in queries.captured_queries if "mail_attachment" in q["sql"]]


def test_an_attachment_through_another_requests_url_is_404(two_requests, agent, client):
    (request_a, _), (_, attachment_b) = two_requests
    client.force_login(agent)
    assert client.get(url(request_a, attachment_b)).status_code == 404


def test_only_staff_who_can_see_the_request_get_its_files(two_requests, make_staff, client):
    (request, attachment), _ = two_requests
    assert client.get(url(request, attachment)).status_code == 302  # to the login page
    client.force_login(make_staff("outsider", dept="manufacturing"))
    assert client.get(url(request, attachment)).status_code == 404
    client.force_login(make_staff("boss", dept="finance", role="admin"))
    assert client.get(url(request, attachment)).status_code == 200


def test_downloads_are_get_only(two_requests, agent, client):
    (request, attachment), _ = two_requests
    client.force_login(agent)
    assert client.post(url(request, attachment)).status_code == 405


# Resend my status link -----------------------------------------------------------------


def without_csrf(response):
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def test_resend_answers_alike_and_mails_only_known_addresses(new_request, client):
    page = client.get("/status/resend/")
    assert page.status_code == 200 and "Lost the link" in page.content.decode()

    known = client.post("/status/resend/", {"email": "ANN@acme.example"})
    unknown = client.post("/status/resend/", {"email": "nobody@acme.example"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    assert mail.outbox == []  # sent from the worker, not from the request

    run_tasks()
    [email] = mail.outbox
    assert email.to == ["ann@acme.example"]
    assert f"/status/{new_request.public_token}/" in email.body
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"


def test_resend_is_rate_limited_per_address_the_same_for_unknown_ones(db, client):
    for address in ("ann@acme.example", "nobody@acme.example"):
        codes = [client.post("/status/resend/", {"email": address}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]


def test_resend_is_rate_limited_per_client(db, client):
    codes = [
        client.post("/status/resend/", {"email": f"n{i}@acme.example"}).status_code
        for i in range(11)
    ]
    assert codes[-1] == 429 and set(codes[:10]) == {200}


def test_resend_refuses_a_malformed_address(db, client):
    assert client.post("/status/resend/", {"email": "not an address"}).status_code == 400


# Inbound webhook -----------------------------------------------------------------------


def post_raw(client, raw, secret="s3cret-for-tests"):
    return client.post(
        "/mail/inbound/",
        data=raw,
        content_type="message/rfc822",
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_webhook_is_off_until_a_secret_is_set(departments, client, settings):
    settings.NUCLEUS_MAIL_WEBHOOK_SECRET = ""
    assert post_raw(client, build_email()).status_code == 404


def test_webhook_needs_the_shared_secret(departments, client, settings):
    settings.NUCLEUS_MAIL_WEBHOOK_SECRET = "s3cret-for-tests"
    assert post_raw(client, build_email(), secret="wrong").status_code == 401
    assert not Request.objects.exists()


def test_webhook_imports_once_and_reports_the_outcome(departments, client, settings):
    settings.NUCLEUS_MAIL_WEBHOOK_SECRET = "s3cret-for-tests"
    raw = build_email()
    first = post_raw(client, raw).json()
    again = post_raw(client, raw).json()
    request = Request.objects.get()
    assert first == {
        "id": ReceivedEmail.objects.get().pk,
        "outcome": "opened",
        "duplicate": False,
        "request": request.pk,
    }
    assert again["duplicate"] is True


def test_webhook_takes_oversized_mail_aside_and_refuses_huge_mail(departments, client, settings):
    settings.NUCLEUS_MAIL_WEBHOOK_SECRET = "s3cret-for-tests"
    settings.NUCLEUS_MAIL_MAX_BYTES = 4096
    assert post_raw(client, build_email(text="x" * 6000)).json()["outcome"] == "quarantined"
    assert post_raw(client, build_email(text="y" * 20_000)).status_code == 413
    assert not Request.objects.exists()
