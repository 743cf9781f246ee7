from functools import partial

from helpdesk.models import DepartmentTask
from realtime import counts
from workflows import permissions
from workflows.sla.selectors import unread_count


def nav(request):
    """What the top bar needs: whether to show the console, the inbox and notification badges."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "console": permissions.uses_console(user),
            "inbox_count": counts.kept(f"inbox-badge:{user.pk}", partial(_unclaimed, user)),
            # Called by the template only where the top bar is drawn, not for htmx fragments.
            "unread": partial(counts.kept, f"unread:{user.pk}", partial(unread_count, user)),
        }
    }


def _unclaimed(user):
    return DepartmentTask.objects.filter(
        department_id__in=permissions.department_ids(user), status="open"
    ).count()
