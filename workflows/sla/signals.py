"""Configuration changes recompute open clocks: policies and ladders anywhere, calendars for the
departments that count in them. The work runs in the background (workflows.tasks)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from workflows.models import (
    BusinessCalendar,
    ClosureDate,
    EscalationLadder,
    EscalationStep,
    SLAPolicy,
    WorkingHours,
)
from workflows.sla.calendars import departments_using


@receiver([post_save, post_delete], sender=SLAPolicy)
@receiver([post_save, post_delete], sender=EscalationLadder)
@receiver([post_save, post_delete], sender=EscalationStep)
@receiver([post_save, post_delete], sender=BusinessCalendar)
def recompute_everything(sender, **kwargs):
    """A policy may start or stop matching any clock; a calendar may change owner."""
    from workflows.tasks import request_recompute

    request_recompute(None)


@receiver([post_save, post_delete], sender=WorkingHours)
@receiver([post_save, post_delete], sender=ClosureDate)
def calendar_detail_changed(sender, instance, **kwargs):
    from workflows.tasks import request_recompute

    calendar = BusinessCalendar.objects.filter(pk=instance.calendar_id).first()
    if calendar is None:
        return  # deleted with its calendar, whose own signal covers it
    # A new version: every process recompiles this calendar on its next lookup.
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    request_recompute(departments_using(calendar))
