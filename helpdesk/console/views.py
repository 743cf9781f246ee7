from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from helpdesk import customer_panel, selectors, timeline
from helpdesk.console import queues
from helpdesk.console.context import request_context
from helpdesk.console.forms import REQUEST_ACTIONS
from helpdesk.pagination import before_seq
from workflows import permissions

# Actions whose form answers with a fresh copy of itself (the partial to render).
FRESH_FORMS = {"reply": "composer", "note": "composer", "hand_off": "handoff"}


def visible_request_or_404(user, pk):
    """Another department's request is not found rather than forbidden: nothing to learn.

    Loaded by its key and then asked about (can_view_request), rather than looked up inside
    visible_requests(): the owning department's staff then need no subquery at all."""
    try:
        req = selectors.request_with_context(pk)
    except permissions.Request.DoesNotExist:
        raise Http404("No such request.") from None
    if not permissions.can_view_request(user, req):
        raise Http404("No such request.")
    return req


@login_required
@require_GET
def request_page(request, pk):
    req = visible_request_or_404(request.user, pk)
    context = request_context(request.user, req)
    context |= {
        "run": timeline.Run(req, known_tasks=context["tasks"]),
        "panel": customer_panel.Panel(req, request.user),
        "section": "console",
    }
    return render(request, "console/request.html", context)


@login_required
@require_GET
def history(request, pk):
    """The entries before `?before=<seq>`: pages show the newest only, "show earlier" asks."""
    req = visible_request_or_404(request.user, pk)
    try:
        before = before_seq(request.GET)
    except ValueError as error:
        return HttpResponseBadRequest(str(error))
    context = {
        "req": req,
        "run": timeline.Run(req, before_seq=before),
        "earlier_url": reverse("console:history", args=[req.pk]),
    }
    return render(request, "partials/timeline.html#history", context)


@login_required
@require_GET
def request_actions(request, pk):
    req = visible_request_or_404(request.user, pk)
    return render(request, "console/request.html#own_controls", request_context(request.user, req))


@login_required
@require_POST
def act(request, pk, action):
    handler = REQUEST_ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    req = visible_request_or_404(request.user, pk)
    handler(req, request.user, request.POST)
    if not request.htmx:
        return redirect("console:request", pk=pk)
    fresh_form = FRESH_FORMS.get(action)
    if fresh_form:
        # A fresh, empty form; what it did arrives over the live socket.
        req.refresh_from_db()
        context = request_context(request.user, req)
        return render(request, f"console/request.html#{fresh_form}", context)
    return HttpResponse('<div id="alerts" hx-swap-oob="true"></div>')


@login_required
@require_GET
@vary_on_headers("HX-Request")
def queue(request):
    """A queue page; htmx (a filter change, a live poke) gets the rows and counts back only."""
    user = request.user
    if not permissions.uses_console(user):
        return redirect("inbox:tasks")
    current = queues.chosen(request.GET.get("queue"))
    filters = queues.Filters.from_query(request.GET)
    context = {
        "section": "console",
        "queue": current,
        "filters": filters,
        "counts": queues.counts(user),
        "page": queues.page(user, current, filters, request.GET.get("cursor")),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "console/queue.html#refresh", context)
    return render(request, "console/queue.html", context | queues.filter_choices())
