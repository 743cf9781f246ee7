"""The customer's status page: no login, an unguessable link, the public timeline only."""

import hmac

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from helpdesk import selectors, timeline
from helpdesk.models import Request
from helpdesk.pagination import before_seq
from workflows import actions


def request_for_token(token):
    """Wrong, truncated and revoked tokens all get the same 404."""
    req = (
        Request.objects.select_related("customer", "department").filter(public_token=token).first()
    )
    if req is None or not hmac.compare_digest(req.public_token, token):
        raise Http404("No such page.")
    return req


def status_context(req):
    run = timeline.Run(req, public_only=True)
    return {
        "req": req,
        "run": run,
        "departments": selectors.departments_holding(req),
        "seq": selectors.last_public_seq(req, req.last_event_seq + 1),
    }


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def status_page(request, token):
    req = request_for_token(token)
    return _private(render(request, "status/page.html", status_context(req)))


@require_GET
def history(request, token):
    """Older public entries for "show earlier"."""
    req = request_for_token(token)
    try:
        before = before_seq(request.GET)
    except ValueError as error:
        return HttpResponseBadRequest(str(error))
    context = {
        "req": req,
        "run": timeline.Run(req, public_only=True, before_seq=before),
        "earlier_url": reverse("status:history", args=[token]),
    }
    return _private(render(request, "partials/timeline.html#history", context))


@require_POST
def reply(request, token):
    req = request_for_token(token)
    actions.customer_reply(req.pk, req.customer, request.POST.get("body"))
    if not request.htmx:
        return redirect("status:page", token=token)
    return _private(render(request, "status/page.html#reply_form", {"req": req}))


@require_GET
def reply_form(request, token):
    """The form re-fetches itself after every push (it carries a CSRF token, so it is never
    pushed): unchanged when the request is as open or closed as the form says (`?open=`), so
    text being typed stays; a fresh form or the closed notice when that changed."""
    req = request_for_token(token)
    if request.GET.get("open") == ("0" if req.status == "closed" else "1"):
        return _private(HttpResponse(status=204))
    return _private(render(request, "status/page.html#reply_form", {"req": req}))
