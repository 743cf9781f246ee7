"""Read side for the pages: SLA badges for a list of rows, and the "breaching soon" queues.

A badge list costs a constant number of queries (the clocks, then the calendars they count in)
however many rows it serves; time left is business time, worked out in Python.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from helpdesk.models import DepartmentTask, Request
from workflows import permissions
from workflows.models import Clock, Notification, format_duration
from workflows.sla.calendars import schedules_for
from workflows.sla.clocks import used_at
from workflows.states import ACTIVE_REQUEST_STATES, ACTIVE_TASK_STATES

OK, WARNING, BREACHED, PAUSED = "ok", "warning", "breached", "paused"
URGENCY = {BREACHED: 0, WARNING: 1, OK: 2, PAUSED: 3}


@dataclass(frozen=True)
class Badge:
    state: str  # ok, warning, breached or paused
    metric: str
    metric_label: str
    due_at: datetime | None  # None while paused
    left: timedelta  # business time left; negative once breached

    @property
    def label(self):
        if self.state == BREACHED:
            return f"{format_duration(self.left)} over"
        if self.state == PAUSED:
            return f"paused, {format_duration(self.left)} left"
        return f"{format_duration(self.left)} left"


def badge_of(clock, schedule, now):
    left = clock.target - used_at(clock, schedule, now)
    if clock.state == Clock.State.PAUSED:
        state = PAUSED
    elif left <= timedelta(0):
        state = BREACHED
    elif clock.target - left >= clock.warn_after:
        state = WARNING
    else:
        state = OK
    return Badge(state, clock.metric, clock.get_metric_display(), clock.due_at, left)


def _most_urgent(clocks, key, now, schedules=None):
    clocks = list(clocks)
    if schedules is None:
        schedules = schedules_for({c.department_id for c in clocks})
    badges = {}
    for clock in clocks:
        badge = badge_of(clock, schedules[clock.department_id], now)
        owner = getattr(clock, key)
        current = badges.get(owner)
        if current is None or (URGENCY[badge.state], badge.left) < (
            URGENCY[current.state],
            current.left,
        ):
            badges[owner] = badge
    return badges


def _ids(rows):
    return [getattr(row, "pk", row) for row in rows]


def badges_for_requests(requests, *, now=None):
    """{request id: the most urgent Badge of its request clocks}; rows without one are absent.
    `requests`: Request objects or ids."""
    clocks = Clock.objects.filter(
        request_id__in=_ids(requests), task__isnull=True, state__in=Clock.ACTIVE
    )
    return _most_urgent(clocks, "request_id", now or timezone.now())


def badges_for_tasks(tasks, *, now=None):
    """{task id: Badge of its answer clock}. `tasks`: DepartmentTask objects or ids."""
    clocks = Clock.objects.filter(task_id__in=_ids(tasks), state__in=Clock.ACTIVE)
    return _most_urgent(clocks, "task_id", now or timezone.now())


def badges_for_request_and_tasks(request, tasks, *, now=None):
    """(the request's most urgent Badge or None, {task id: Badge}) for a request page: the
    clocks of both in one query, and their calendars in one more."""
    clocks = list(
        Clock.objects.filter(
            Q(request_id=request.pk, task__isnull=True) | Q(task_id__in=_ids(tasks)),
            state__in=Clock.ACTIVE,
        )
    )
    now = now or timezone.now()
    schedules = schedules_for({c.department_id for c in clocks})
    own = [c for c in clocks if c.task_id is None]
    of_tasks = [c for c in clocks if c.task_id is not None]
    return (
        _most_urgent(own, "request_id", now, schedules).get(request.pk),
        _most_urgent(of_tasks, "task_id", now, schedules),
    )


def _warning_clocks(user, now):
    """Running clocks past their warning point in the departments the user works for."""
    clocks = Clock.objects.filter(state=Clock.State.RUNNING, warn_at__lte=now)
    if not permissions.is_admin(user):
        clocks = clocks.filter(department_id__in=permissions.department_ids(user))
    return clocks


def breaching_soon(user, *, now=None):
    """Open requests of the user's departments with a clock in warning or breached, soonest
    deadline first, annotated with `sla_due_at`."""
    now = now or timezone.now()
    clocks = _warning_clocks(user, now).filter(task__isnull=True)
    soonest = clocks.filter(request=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    return (
        Request.objects.filter(pk__in=clocks.values("request_id"), status__in=ACTIVE_REQUEST_STATES)
        .annotate(sla_due_at=Subquery(soonest))
        .order_by("sla_due_at", "pk")
    )


def tasks_breaching_soon(user, *, now=None):
    """The same for department tasks in the user's departments (the inbox)."""
    now = now or timezone.now()
    clocks = _warning_clocks(user, now).filter(task__isnull=False)
    soonest = clocks.filter(task=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    return (
        DepartmentTask.objects.filter(
            pk__in=clocks.values("task_id"), status__in=ACTIVE_TASK_STATES
        )
        .annotate(sla_due_at=Subquery(soonest))
        .order_by("sla_due_at", "pk")
    )


def notifications_for(user, *, limit=20):
    """The user's newest notifications (unread first) and the unread count: two queries."""
    mine = Notification.objects.filter(user=user)
    latest = list(mine.order_by("read", "-created_at", "-id")[:limit])
    return latest, unread_count(user)


def unread_count(user):
    """For the top bar's badge, on every page: one count."""
    return Notification.objects.filter(user=user, read=False).count()
