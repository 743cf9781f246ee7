"""The task inbox: a department's tasks in three tabs, their counts, one page of rows.

Back-office staff see the tasks of the departments they belong to, nothing else. A page
costs the same few queries however many rows it shows.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from helpdesk.models import Department, DepartmentTask
from helpdesk.pagination import keyset_page
from helpdesk.selectors import Links, Moment, shortened
from realtime.counts import kept as counts_kept
from workflows import permissions
from workflows.sla import selectors as sla
from workflows.states import ACTIVE_TASK_STATES, TaskStatus

PAGE_SIZE = 50
RECENT = timedelta(days=14)
FINISHED = (TaskStatus.DONE, TaskStatus.RETURNED, TaskStatus.CANCELLED)
# What a row shows: the request's body and the task's answer stay in the database.
ROW_FIELDS = (
    "status",
    "instructions",
    "due_at",
    "created_at",
    "finished_at",
    "department__name",
    "request__subject",
    "request__customer__name",
    "request__customer__organisation__name",
    *(
        f"{person}__{field}"
        for person in ("assignee", "created_by")
        for field in permissions.STAFF_NAME_FIELDS
    ),
)


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    holds: Callable  # (user, now) -> Q over the user's departments' tasks
    key: str = "created_at"


TABS = (
    Tab("open", "Open", lambda user, now: Q(status__in=ACTIVE_TASK_STATES)),
    Tab("mine", "Claimed by me", lambda user, now: Q(status=TaskStatus.CLAIMED, assignee=user)),
    Tab(
        "done",
        "Done recently",
        lambda user, now: Q(status__in=FINISHED, finished_at__gte=now - RECENT),
        key="finished_at",
    ),
)
BY_SLUG = {tab.slug: tab for tab in TABS}


def chosen(slug):
    return BY_SLUG.get(slug) or TABS[0]


def department_tasks(user):
    return DepartmentTask.objects.filter(department_id__in=permissions.department_ids(user))


def counts(user):
    """[(tab, count)], kept between events (realtime.counts)."""
    totals = counts_kept(f"inbox-counts:{user.pk}", lambda: _count(user, timezone.now()))
    return [(tab, totals[tab.slug]) for tab in TABS]


def _count(user, now):
    return department_tasks(user).aggregate(
        **{tab.slug: Count("pk", filter=tab.holds(user, now)) for tab in TABS}
    )


def page(user, tab, cursor, now=None):
    """One page of the tab's tasks, newest first, each with its request, customer and SLA."""
    rows = department_tasks(user).filter(tab.holds(user, now or timezone.now()))
    rows = rows.select_related(
        "department", "assignee", "created_by", "request__customer__organisation"
    ).only(*ROW_FIELDS)
    result = keyset_page(rows, cursor, key=tab.key, size=PAGE_SIZE)
    links = Links("inbox:task")
    return replace(
        result, rows=[row_values(task, user, links) for task in with_deadlines(result.rows)]
    )


def row_values(task, reader, links):
    """What a row shows, worked out here so that the template only prints it (as the console
    queue's rows: looking values up on model instances was most of a page's rendering)."""
    request, customer = task.request, task.request.customer
    if task.assignee_id is None:
        claimed_by = ""
    elif task.assignee_id == reader.pk:
        claimed_by = "by you"
    else:
        claimed_by = permissions.staff_name(task.assignee)
    return {
        "pk": task.pk,
        "url": links[task.pk],
        "status": task.status,
        "status_label": TaskStatus(task.status).label,
        "instructions": shortened(task.instructions, 110),
        "department": task.department.name,
        "request_id": task.request_id,
        "subject": shortened(request.subject, 70),
        "customer": customer.name,
        "organisation": customer.organisation.name if customer.organisation else "",
        "claimed_by": claimed_by,
        "sla_badge": task.sla_badge,
        "overdue": task.overdue,
        "created": task.created,
        "created_by": task.created_by,  # named by the staff_name filter ("System" when None)
        "due": task.due,
        "finished": task.finished,
    }


def with_deadlines(tasks, now=None):
    """Give each task its SLA badge, whether its due time has passed (two queries), and its
    times as selectors.Moments."""
    now = now or timezone.now()
    badges = sla.badges_for_tasks(tasks)
    for task in tasks:
        task.sla_badge = badges.get(task.pk)
        task.overdue = bool(task.due_at and task.due_at < now and task.status in ACTIVE_TASK_STATES)
        task.created = Moment(task.created_at)
        task.due = task.due_at and Moment(task.due_at)
        task.finished = task.finished_at and Moment(task.finished_at)
    return tasks


def departments_of(user):
    return list(Department.objects.filter(pk__in=permissions.department_ids(user)))


def task_of(pk):
    return (
        DepartmentTask.objects.select_related("department", "assignee", "created_by")
        .filter(pk=pk)
        .first()
    )


def version(task):
    """What the task page's action panel depends on: it re-renders only when this changes."""
    return f"{task.status}.{task.assignee_id or 0}"
