"""Web ends of the email channel: attachment downloads for staff, "resend my status link" for
customers, and an inbound webhook for a mail provider."""

import hmac

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.mail import conf
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import Attachment
from helpdesk.mail.outbound import email_status_links
from helpdesk.mail.parsing import CONTROL
from helpdesk.ratelimits import over_limit
from workflows import permissions

# The webhook refuses bodies past this many times the import limit outright (413): the
# provider keeps the message. Smaller oversized mail is kept aside here instead.
WEBHOOK_HARD_LIMIT_FACTOR = 4
RESEND_RATES = {"ip": "10/h", "email": "3/h"}


@login_required
@require_GET
def attachment(request, pk, attachment_id):
    """An email's file, to staff who can see its request, always as an opaque download. The
    attachment must belong to the request in the URL: anything else is the same 404."""
    item = (
        Attachment.objects.select_related("request").filter(pk=attachment_id, request_id=pk).first()
    )
    if item is None or not permissions.can_view_request(request.user, item.request):
        raise Http404("No such attachment.")
    response = HttpResponse(bytes(item.data), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download_name(item.filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def download_name(filename):
    """The sender's file name, made safe for a header and a file system."""
    name = CONTROL.sub("", filename).replace("/", "_").replace("\\", "_").strip(" .")
    return name or "attachment"


@require_http_methods(["GET", "POST"])
def resend_status_link(request):
    """Ask for one's status links by email. The answer is the same whether or not the address
    is known; the mail goes out from a background task either way."""
    if request.method == "GET":
        return render(request, "mail/resend.html", {})
    limited = over_limit(request, "mail.resend", RESEND_RATES, "email")
    if limited:
        return render(request, "mail/resend.html", {"limited": True}, status=429)
    address = request.POST.get("email", "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return render(request, "mail/resend.html", {"invalid": True, "email": address}, status=400)
    email_status_links.enqueue(address)
    return render(request, "mail/resend.html", {"sent": True})


@csrf_exempt
@require_POST
def inbound(request):
    """A provider posts the raw message (message/rfc822) with the shared secret as a bearer
    token. Off (404) until NUCLEUS_MAIL_WEBHOOK_SECRET is set."""
    secret = conf.webhook_secret()
    if not secret:
        raise Http404("Inbound mail webhook is not configured.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "unauthorised"}, status=401)
    hard_limit = conf.max_bytes() * WEBHOOK_HARD_LIMIT_FACTOR
    raw = request.read(hard_limit + 1)
    if len(raw) > hard_limit:
        return JsonResponse({"error": "message too large"}, status=413)
    if not raw:
        return JsonResponse({"error": "empty body"}, status=400)
    result = ingest(raw)
    return JsonResponse(
        {
            "id": result.email.pk,
            "outcome": result.email.outcome,
            "duplicate": result.duplicate,
            "request": result.email.request_id,
        }
    )
