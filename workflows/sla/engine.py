"""The sweep: find what is due with one indexed query, then fire it one step per transaction.

Each step commits together with its FiredStep row (unique per clock and step) and the clock's
next due moment, so a crash between steps loses nothing and repeats nothing, and a worker that
was down for hours fires every missed step once, in trigger order. Locks are taken request
first (skip_locked: a request another worker or an agent holds is left for the next pass), then
clock, in the same order as the actions' hook, so workers never deadlock with each other or
with people.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import Priority, Request, StaffMembership
from workflows import actions, permissions
from workflows.actions.sla import SLA_BREACHED, SLA_STEP, SLA_WARNING, notify
from workflows.errors import WorkflowError
from workflows.models import Clock, FiredStep, format_duration
from workflows.sla.clocks import fired_steps, schedule_clock, used_at
from workflows.sla.rules import Rules

logger = logging.getLogger(__name__)

BATCH = 500


def due_clocks(now):
    """Running clocks whose next moment has come, earliest first: served by the partial index
    sla_clock_due, so the cost follows what is due, not how many clocks are open."""
    return Clock.objects.filter(state=Clock.State.RUNNING, next_step_at__lte=now).order_by(
        "next_step_at"
    )


def sweep(*, now=None, limit=BATCH):
    """One pass over what is due by `now`. Returns (clocks looked at, moments fired)."""
    now = now or timezone.now()
    rules = Rules()
    candidates = list(due_clocks(now).values_list("pk", "request_id")[:limit])
    fired = 0
    for clock_id, request_id in candidates:
        try:
            fired += advance(clock_id, request_id, now, rules)
        except Exception:
            # The failed step rolled back whole and stays due; the other clocks go on.
            logger.exception("SLA clock %s failed; it will be retried on the next pass", clock_id)
    return len(candidates), fired


def advance(clock_id, request_id, now, rules):
    """Fire every moment of one clock that is due by `now`, one transaction each."""
    fired = 0
    while True:
        with transaction.atomic():
            locked = Request.objects.select_for_update(skip_locked=True).filter(pk=request_id)
            if not locked.order_by().values_list("pk", flat=True):
                return fired  # another worker or an action holds it: next pass
            clock = (
                due_clocks(now)
                .select_for_update(of=("self",))
                .select_related("policy", "next_step", "request", "task__department")
                .filter(pk=clock_id)
                .first()
            )
            if clock is None:
                return fired
            _fire(clock, rules, now)
        fired += 1
        if clock.next_step_at is None or clock.next_step_at > now:
            return fired


def _fire(clock, rules, now):
    if clock.next_step_id is None:
        _milestone(clock, rules, now)
    else:
        _step(clock, clock.next_step, now)
        # Its actions may have recomputed this clock through the hook (a raised priority).
        clock.refresh_from_db()
    has_ladder = bool(rules.steps(clock.policy, clock.metric))
    fired = fired_steps([clock])[clock.pk] if has_ladder else set()
    schedule_clock(clock, rules, now, fired=fired)
    clock.save()


def _milestone(clock, rules, now):
    used = used_at(clock, rules.schedule(clock.department_id), now)
    if clock.breached_at is None and used >= clock.target:
        clock.breached_at = clock.due_at
        clock.warned_at = clock.warned_at or clock.warn_at
        event_type, what = SLA_BREACHED, "breached"
    elif clock.warned_at is None and used >= clock.warn_after:
        clock.warned_at = clock.warn_at
        share = round(100 * clock.warn_after / clock.target)
        event_type, what = SLA_WARNING, f"{share}% of the time used"
    else:
        return  # recomputed since it was scheduled: nothing is due after all
    notify(
        clock.request_id,
        event_type=event_type,
        text=f"{_subject(clock)}: {what} ({format_duration(clock.target)} target, "
        f"due {timezone.localtime(clock.due_at):%a %d %b %H:%M})",
        **_facts(clock),
    )


def _step(clock, step, now):
    try:
        with transaction.atomic():
            FiredStep.objects.create(
                clock=clock, step=step, due_at=clock.next_step_at, fired_at=now
            )
    except IntegrityError:
        logger.warning("Step %s already fired on clock %s; skipped", step.pk, clock.pk)
        return
    outcomes, request = _apply(clock, step)
    users = _recipients(clock, step, request)
    if users:
        outcomes.append("notified " + ", ".join(permissions.staff_name(u) for u in users))
    notify(
        clock.request_id,
        event_type=SLA_STEP,
        text=f"{_subject(clock)}: {step.trigger_label} — {'; '.join(outcomes or ['recorded'])}",
        users=users,
        link=_link(clock),
        step=step.trigger_label,
        step_id=step.pk,
        step_due_at=clock.next_step_at.isoformat(),
        outcomes=outcomes,
        **_facts(clock),
    )


def _apply(clock, step):
    """Run the step's effects through the workflows actions; a refusal is reported, not fatal
    (each action runs in its own savepoint, so a refused one leaves nothing behind)."""
    reason = f"SLA: {clock.get_metric_display()} {step.trigger_label}"
    request = Request.objects.get(pk=clock.request_id)
    outcomes = []

    def attempt(done, refused, action, *args, **kwargs):
        nonlocal request
        try:
            request = action(clock.request_id, None, *args, **kwargs)
            outcomes.append(done)
        except WorkflowError as error:
            outcomes.append(f"{refused} refused: {error.message}")

    if step.set_level:
        while request.escalation_level < step.set_level:
            before = request.escalation_level
            attempt(
                f"escalated to level {before + 1}",
                "escalation",
                actions.escalate,
                reason=reason,
                automatic=True,
            )
            if request.escalation_level == before:
                break
    if step.raise_priority:
        if request.priority < Priority.URGENT:
            attempt(
                f"priority raised to {Priority(request.priority + 1).label}",
                "priority change",
                actions.change_priority,
                request.priority + 1,
                reason=reason,
            )
        else:
            outcomes.append("priority already urgent")
    if step.reassign_to_id:
        if clock.task_id:
            outcomes.append("reassignment skipped: department tasks are claimed, not assigned")
        else:
            target = permissions.staff_name(step.reassign_to)
            attempt(f"reassigned to {target}", "reassignment", actions.assign, step.reassign_to)
    return outcomes, request


def _recipients(clock, step, request):
    who = set()
    owner = clock.task.assignee_id if clock.task_id else request.assignee_id
    wants_assignee = step.notify in (step.Notify.ASSIGNEE, step.Notify.ASSIGNEE_AND_LEADS)
    wants_leads = step.notify in (step.Notify.LEADS, step.Notify.ASSIGNEE_AND_LEADS)
    if wants_assignee and owner:
        who.add(owner)
    if wants_leads or (wants_assignee and not owner):
        who.update(
            StaffMembership.objects.filter(
                department_id=clock.department_id, role=StaffMembership.Role.LEAD
            ).values_list("user_id", flat=True)
        )
    users = list(get_user_model().objects.filter(pk__in=who))
    return users + list(step.notify_users.all())


def _subject(clock):
    where = f"{clock.task.department} task on " if clock.task_id else ""
    return f"{where}#{clock.request_id} {clock.request.subject} — {clock.get_metric_display()}"


def _link(clock):
    if clock.task_id:
        return reverse("inbox:tasks")
    return reverse("console:request", args=[clock.request_id])


def _facts(clock):
    return {
        "metric": clock.metric,
        "clock_id": clock.pk,
        "task_id": clock.task_id,
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
    }
