"""A working SLA set-up out of the box: office hours, four policies and one escalation ladder.

`install_defaults()` is for the demo data and fresh installs; it does nothing once any policy
exists, so what an admin changed or deleted is never put back.
"""

from datetime import time, timedelta

from django.conf import settings
from django.db import transaction

from helpdesk.models import Department, Organisation, Priority
from workflows.models import (
    BusinessCalendar,
    EscalationLadder,
    EscalationStep,
    SLAPolicy,
    WorkingHours,
)

H = timedelta(hours=1)
Notify = EscalationStep.Notify


@transaction.atomic
def install_defaults(*, country="GB", subdivision="ENG"):
    """Returns True when it installed something."""
    if SLAPolicy.objects.exists():
        return False
    calendar, created = BusinessCalendar.objects.get_or_create(
        department=None,
        defaults={
            "name": "Office hours",
            "time_zone": settings.TIME_ZONE,
            "country": country,
            "subdivision": subdivision,
        },
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, opens=time(9), closes=time(17, 30))
            for day in range(5)
        )
    ladder = EscalationLadder.objects.create(name="Standard escalation")
    for step in (
        {"percent": 75, "notify": Notify.ASSIGNEE},
        {"percent": 100, "set_level": 1, "notify": Notify.ASSIGNEE_AND_LEADS},
        {"after_breach": 4 * H, "set_level": 2, "raise_priority": True, "notify": Notify.LEADS},
    ):
        EscalationStep.objects.create(ladder=ladder, **step)
    SLAPolicy.objects.create(
        name="Urgent",
        position=10,
        priority=Priority.URGENT,
        first_response=H,
        next_response=2 * H,
        resolution=8 * H,
        answer=2 * H,
        ladder=ladder,
    )
    SLAPolicy.objects.create(
        name="Enterprise",
        position=20,
        tier=Organisation.Tier.ENTERPRISE,
        first_response=2 * H,
        next_response=4 * H,
        resolution=16 * H,
        ladder=ladder,
    )
    finance = Department.objects.filter(slug="finance").first()
    if finance is not None:
        SLAPolicy.objects.create(
            name="Finance answers", position=50, department=finance, answer=4 * H, ladder=ladder
        )
    SLAPolicy.objects.create(
        name="Standard",
        position=100,
        first_response=4 * H,
        next_response=8 * H,
        resolution=24 * H,
        answer=8 * H,
        ladder=ladder,
    )
    return True
