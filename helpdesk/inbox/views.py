"""The back-office task inbox and the task page: claim, answer, return, ask the agent."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from helpdesk import customer_panel, selectors, timeline
from helpdesk.inbox import tabs
from helpdesk.inbox.forms import TASK_ACTIONS
from workflows import permissions
from workflows.errors import NotPermitted


def task_or_404(user, pk):
    """Another department's task is not found rather than forbidden: nothing to learn."""
    task = tabs.task_of(pk)
    if task is None or not permissions.can_work_task(user, task):
        raise Http404("No such task.")
    return task


def _wants_fragment(request):
    return request.htmx and not request.htmx.history_restore_request


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_list(request):
    """A tab of the inbox; htmx (a live poke) gets the rows, tab counts and badge back only."""
    user = request.user
    if not permissions.is_staff_member(user):
        raise NotPermitted("The task inbox is for staff of a department.")
    tab = tabs.chosen(request.GET.get("tab"))
    context = {
        "section": "inbox",
        "tab": tab,
        "counts": tabs.counts(user),
        "page": tabs.page(user, tab, request.GET.get("cursor")),
    }
    if _wants_fragment(request):
        return render(request, "inbox/tasks.html#refresh", context)
    context["departments"] = tabs.departments_of(user)
    return render(request, "inbox/tasks.html", context)


def panel_context(task):
    return {"task": tabs.with_deadlines([task])[0], "version": tabs.version(task)}


@login_required
@require_GET
def task_page(request, pk):
    task = task_or_404(request.user, pk)
    req = selectors.request_with_context(task.request_id)
    tasks = selectors.tasks_on_page(req)
    context = panel_context(task) | {
        "section": "inbox",
        "req": req,
        "tasks": tasks,
        "run": timeline.Run(req, known_tasks=tasks),
        "panel": customer_panel.Panel(req, request.user),
    }
    return render(request, "inbox/task.html", context)


@login_required
@require_GET
def task_panel(request, pk):
    """The live page asks after every push; unless the task itself moved, nothing to swap."""
    task = task_or_404(request.user, pk)
    if request.GET.get("v") == tabs.version(task):
        return HttpResponse(status=204)
    # Keep what the user was typing when a colleague's change re-renders the forms.
    context = panel_context(task) | {"preserve": True}
    return render(request, "inbox/task.html#panel_with_badge", context)


@login_required
@require_POST
def act(request, pk, action):
    handler = TASK_ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    task = task_or_404(request.user, pk)
    handler(task, request.user, request.POST)
    if not _wants_fragment(request):
        return redirect("inbox:task", pk=pk)
    if action == "ask":
        # A fresh, empty question box; the note itself arrives over the live socket.
        return render(request, "inbox/task.html#ask_form", {"task": task})
    return render(request, "inbox/task.html#panel_with_badge", panel_context(tabs.task_of(pk)))
