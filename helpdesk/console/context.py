"""The request page's context, shared by the page, its own-controls GET and the live push."""

from django.contrib.auth import get_user_model

from helpdesk import selectors
from helpdesk.console.forms import SIMPLE_ACTIONS
from helpdesk.models import Department, Priority
from workflows import permissions
from workflows.log import available_actions
from workflows.states import ACTIVE_TASK_STATES


def request_context(user, req, tasks=None):
    """What the request page shows `user`: also what its own-controls GET and the live push
    render, so a live update and a reload agree. A push has read `tasks` already."""
    if tasks is None:
        tasks = selectors.attach_sla_badges(req, selectors.tasks_on_page(req))
    can_work = permissions.can_work_request(user, req)
    staff = (
        get_user_model()
        .objects.filter(
            memberships__department=req.department, memberships__role__in=permissions.CONSOLE_ROLES
        )
        .order_by("first_name", "username")
        .only(*permissions.STAFF_NAME_FIELDS)
    )
    act = selectors.Links("console:act", req.pk)
    allowed = available_actions(req) if can_work else []
    return {
        "req": req,
        "act": act,
        "tasks": tasks,
        "open_tasks": [t for t in tasks if t.status in ACTIVE_TASK_STATES],
        "can_work": can_work,
        "assigned_to_me": req.assignee_id == user.pk,
        "can_lead": permissions.can_lead_request(user, req),
        "allowed": allowed,
        # The one-button actions allowed now, in the workflow's order, with where they post.
        "simple_actions": [(name, act[name]) for name in allowed if name in SIMPLE_ACTIONS],
        "assignable": staff,
        "priorities": Priority.choices,
        "departments": Department.objects.all(),
    }
