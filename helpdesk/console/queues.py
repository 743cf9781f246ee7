"""The console's queues: which requests each holds, how many, and one page of rows.

Everything starts from workflows.permissions.visible_requests, so a queue never shows a
request its reader could not open. A page costs the same few queries however many rows it
shows: one for the sidebar counts, one for the rows (with their customer, department and
assignee joined in), one for the open tasks of those rows and two for their SLA badges.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db.models import Count, Q

from helpdesk import search, selectors
from helpdesk.models import Department, Priority
from helpdesk.pagination import keyset_page
from realtime.counts import kept as counts_kept
from workflows import permissions
from workflows.sla import selectors as sla
from workflows.states import ACTIVE_REQUEST_STATES, RequestStatus, TaskStatus

PAGE_SIZE = 50
ACTIVE = Q(status__in=ACTIVE_REQUEST_STATES)
# What a row shows: the rest of each request (its body above all) stays in the database.
ROW_FIELDS = (
    "status",
    "escalation_level",
    "subject",
    "priority",
    "updated_at",
    "customer__name",
    "customer__organisation__name",
    "department__name",
    *(f"assignee__{field}" for field in permissions.STAFF_NAME_FIELDS),
)
TASK_FIELDS = ("status", "request", "instructions", "department__name")


def _visible(user):
    return permissions.visible_requests(user)


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    narrows: Callable  # user -> Q: this queue's requests among the active ones (see `holds`)
    rows: Callable = _visible  # user -> the queryset a page is cut from (before `holds`)
    key: str = "updated_at"  # what the page is ordered and cut by, with the pk
    newest_first: bool = True
    counted: bool = True  # a queue of active requests, counted; else `narrows` stands alone

    def holds(self, user):
        """Q: the requests in this queue, among those the user may see."""
        return ACTIVE & self.narrows(user) if self.counted else self.narrows(user)


def _breaching(user):
    return Q(pk__in=sla.breaching_soon(user).values("pk"))


QUEUES = (
    Queue("mine", "Mine", lambda user: Q(assignee=user)),
    # Soonest deadline first: the request about to breach is the one to pick up next.
    Queue(
        "breaching",
        "Breaching soon",
        _breaching,
        rows=sla.breaching_soon,
        key="sla_due_at",
        newest_first=False,
    ),
    Queue(
        "departments",
        "My departments",
        lambda user: Q(department_id__in=permissions.department_ids(user)),
    ),
    Queue("unassigned", "Unassigned", lambda user: Q(assignee__isnull=True)),
    Queue(
        "waiting_departments",
        "Waiting on departments",
        lambda user: Q(status=RequestStatus.WAITING_ON_DEPARTMENT),
    ),
    Queue(
        "waiting_customer",
        "Waiting on customer",
        lambda user: Q(status=RequestStatus.WAITING_ON_CUSTOMER),
    ),
    Queue("open", "All open", lambda user: Q()),
    Queue(
        "done",
        "Resolved & closed",
        lambda user: Q(status__in=(RequestStatus.RESOLVED, RequestStatus.CLOSED)),
        counted=False,
    ),
)
BY_SLUG = {queue.slug: queue for queue in QUEUES}
DEFAULT = "mine"


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the queue to; unknown or malformed values are ignored."""

    department: int | None = None
    priority: int | None = None
    status: str = ""
    text: str = ""

    @classmethod
    def from_query(cls, params):
        return cls(
            department=_number(params.get("department")),
            priority=_choice(_number(params.get("priority")), Priority.values),
            status=_choice(params.get("status", ""), RequestStatus.values) or "",
            text=params.get("q", "").strip()[: search.MAX_LENGTH],
        )

    def apply(self, requests):
        if self.department:
            requests = requests.filter(department_id=self.department)
        if self.priority:
            requests = requests.filter(priority=self.priority)
        if self.status:
            requests = requests.filter(status=self.status)
        return search.matching(requests, self.text)

    @property
    def active(self):
        return bool(self.department or self.priority or self.status or self.text)


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _choice(value, allowed):
    return value if value in allowed else None


def chosen(slug):
    return BY_SLUG.get(slug) or BY_SLUG[DEFAULT]


def counts(user):
    """[(queue, count)] for the sidebar: one query over the user's active requests, each queue
    counted by what narrows it (testing the status again for every row and queue was a third
    of the query's time). The resolved & closed archive only grows and counting it would read
    all of it: no count. Kept between events (realtime.counts)."""
    totals = counts_kept(f"console-counts:{user.pk}", lambda: _count(user))
    return [(queue, totals.get(queue.slug)) for queue in QUEUES]


def _count(user):
    counted = [queue for queue in QUEUES if queue.counted]
    return (
        permissions.visible_requests(user)
        .filter(ACTIVE)
        .aggregate(
            **{queue.slug: Count("pk", filter=queue.narrows(user) or None) for queue in counted}
        )
    )


def page(user, queue, filters, cursor):
    """One page of the queue's rows, each with its open tasks, its most urgent SLA badge and
    when it last changed (a selectors.Moment)."""
    rows = filters.apply(queue.rows(user).filter(queue.holds(user)))
    rows = selectors.requests_with_open_tasks(
        rows.select_related("customer__organisation", "department", "assignee").only(*ROW_FIELDS),
        task_fields=TASK_FIELDS,
    )
    result = keyset_page(
        rows, cursor, key=queue.key, size=PAGE_SIZE, newest_first=queue.newest_first
    )
    badges = sla.badges_for_requests(result.rows)
    links = selectors.Links("console:request")
    return replace(result, rows=[row_values(row, badges.get(row.pk), links) for row in result.rows])


def row_values(request, badge, links):
    """What a row shows, worked out here so that the template only prints it: a template
    looking each value up on model instances (and calling get_FOO_display, which rebuilds its
    choices on every call) was most of a 50-row page's rendering time."""
    customer, assignee = request.customer, request.assignee
    return {
        "pk": request.pk,
        "url": links[request.pk],
        "status": request.status,
        "status_label": RequestStatus(request.status).label,
        "subject": request.subject,
        "escalation_level": request.escalation_level,
        "customer": customer.name,
        "organisation": customer.organisation.name if customer.organisation else "",
        "sla_badge": badge,
        "priority": request.priority,
        "priority_label": Priority(request.priority).label,
        "department": request.department.name,
        "assignee": permissions.staff_name(assignee) if assignee else "",
        "open_tasks": [
            {
                "status": task.status,
                "status_label": TaskStatus(task.status).label,
                "instructions": selectors.shortened(task.instructions, 80),
                "department": task.department.name,
            }
            for task in request.open_tasks
        ],
        "updated": selectors.Moment(request.updated_at),
    }


def filter_choices():
    return {
        "departments": list(Department.objects.only("pk", "name")),
        "priorities": Priority.choices,
        "statuses": RequestStatus.choices,
    }
