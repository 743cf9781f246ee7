"""Which schedule a department's clocks count in, loaded once per calendar version.

The calendar row is read on every lookup (one query for any number of departments); its hours,
closures and holiday tables are compiled once per (calendar, updated_at) and reused, so a
change made in the admin is seen by every process on its next lookup.
"""

import threading
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db.models import Q

from workflows.models import BusinessCalendar
from workflows.sla.business_time import DAY_MINUTES, Schedule, always_open, interval_of, merge

_compiled: dict[tuple[int, object], Schedule] = {}
_lock = threading.Lock()


def _compile(calendar):
    weekly = [[] for _ in range(7)]
    for hours in calendar.hours.all():
        weekly[hours.weekday].append(interval_of(hours.opens, hours.closes))
    if not any(weekly):
        # No hours given: open all day, every day it is not closed.
        weekly = [[(0, DAY_MINUTES)] for _ in range(7)]
    closures = frozenset(calendar.closures.values_list("date", flat=True))
    public = (
        holidays.country_holidays(calendar.country, subdiv=calendar.subdivision or None)
        if calendar.country
        else {}
    )
    return Schedule(
        tz=ZoneInfo(calendar.time_zone),
        weekly=tuple(merge(day) for day in weekly),
        is_closed=lambda day: day in closures or day in public,
    )


def schedule_of(calendar):
    key = (calendar.pk, calendar.updated_at)
    schedule = _compiled.get(key)
    if schedule is None:
        schedule = _compile(calendar)
        with _lock:
            # Drop older versions of this calendar so edits do not pile up in memory.
            for old in [k for k in _compiled if k[0] == calendar.pk]:
                del _compiled[old]
            _compiled[key] = schedule
    return schedule


def schedules_for(department_ids):
    """{department_id: Schedule} for the given departments, in one query."""
    department_ids = set(department_ids)
    if not department_ids:
        return {}
    calendars = list(
        BusinessCalendar.objects.filter(
            Q(department_id__in=department_ids) | Q(department__isnull=True)
        )
    )
    own = {c.department_id: c for c in calendars if c.department_id is not None}
    default = next((c for c in calendars if c.department_id is None), None)
    fallback = None
    result = {}
    for department_id in department_ids:
        calendar = own.get(department_id, default)
        if calendar is not None:
            result[department_id] = schedule_of(calendar)
        else:
            fallback = fallback or always_open(ZoneInfo(settings.TIME_ZONE))
            result[department_id] = fallback
    return result


def schedule_for(department_id):
    return schedules_for([department_id])[department_id]


def departments_using(calendar):
    """The departments whose clocks count in this calendar."""
    from helpdesk.models import Department

    if calendar.department_id is not None:
        return [calendar.department_id]
    return list(Department.objects.filter(calendar__isnull=True).values_list("pk", flat=True))
