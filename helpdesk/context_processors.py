from helpdesk.models import DepartmentTask
from workflows import permissions


def nav(request):
    """What the top bar needs: whether to show the console, and the inbox badge count."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "console": permissions.uses_console(user),
            "inbox_count": DepartmentTask.objects.filter(
                department_id__in=permissions.department_ids(user), status="open"
            ).count(),
        }
    }
