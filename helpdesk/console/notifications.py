"""The in-app notification list (SLA warnings, breaches and escalation steps; requests a
colleague assigned to you).

The SLA engine also mails its own; here they stay visible in the app, and the list and the top
bar's badge refresh themselves when the user's live socket is poked.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from workflows.actions.sla import mark_notifications_read
from workflows.sla.selectors import notifications_for, unread_count


def list_context(user):
    latest, unread = notifications_for(user)
    return {"notifications": latest, "count": unread, "section": "notifications"}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notification_list(request):
    """The page; htmx (a live poke) gets the list and the badge back only."""
    context = list_context(request.user)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "console/notifications.html#refresh", context)
    return render(request, "console/notifications.html", context)


@login_required
@require_GET
def badge(request):
    context = {"count": unread_count(request.user)}
    return render(request, "console/notifications.html#badge", context)


@login_required
@require_POST
def mark_read(request):
    """All of them, or the one named by `id`."""
    one = request.POST.get("id", "")
    mark_notifications_read(request.user, [int(one)] if one.isdigit() else None)
    if not request.htmx:
        return redirect("console:notifications")
    return render(
        request, "console/notifications.html#refresh", list_context(request.user) | {"oob": True}
    )
