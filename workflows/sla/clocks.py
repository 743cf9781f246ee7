"""Clocks follow the event stream: started, stopped, paused and recomputed by what actions record.

`on_change` runs inside `workflows.log.changing()`, in the action's transaction and under its
request row lock, so a clock can never disagree with the events that moved it. Locks are always
taken request first, clock second (the sweep does the same), which keeps workers deadlock-free.
"""

from django.utils import timezone

from workflows.models import REQUEST_METRICS, Clock, FiredStep, Metric
from workflows.sla.rules import Rules
from workflows.statements import Compiled
from workflows.states import RequestStatus

State = Clock.State


# Arithmetic on one clock ----------------------------------------------------------------------


def used_at(clock, schedule, now):
    """Business time used up to `now`."""
    if clock.state == State.RUNNING and clock.resumed_at is not None:
        return clock.used + schedule.between(clock.resumed_at, now)
    return clock.used


def schedule_clock(clock, rules, now, *, fired=()):
    """Set due_at, warn_at and the next moment the sweep must act (milestone or ladder step)."""
    if clock.state != State.RUNNING:
        # A stopped clock keeps its last deadline for the record; a paused one has none.
        if clock.state != State.STOPPED:
            clock.due_at = None
        clock.warn_at = clock.next_step = clock.next_step_at = None
        return
    schedule = rules.schedule(clock.department_id)
    base, used = clock.resumed_at, clock.used

    def moment(threshold):
        return schedule.add(base, threshold - used) if threshold > used else base

    clock.due_at = moment(clock.target)
    clock.warn_at = moment(clock.warn_after)
    used_now = used_at(clock, schedule, now)
    # A longer target (priority lowered, policy changed) takes a milestone back.
    if used_now < clock.target:
        clock.breached_at = None
    if used_now < clock.warn_after:
        clock.warned_at = None

    upcoming = []
    if clock.breached_at is None:
        upcoming.append((clock.due_at if clock.warned_at else clock.warn_at, 0, None))
    steps = [s for s in rules.steps(clock.policy, clock.metric) if s.pk not in fired]
    if steps:
        step = min(steps, key=lambda s: (s.threshold(clock.target), s.pk))
        upcoming.append((moment(step.threshold(clock.target)), 1, step))
    if upcoming:
        clock.next_step_at, _, clock.next_step = min(upcoming, key=lambda u: u[:2])
    else:
        clock.next_step_at = clock.next_step = None


def fired_steps(clocks):
    """{clock pk: ids of the steps it already fired}, in one query."""
    by_clock = {c.pk: set() for c in clocks}
    rows = FiredStep.objects.filter(clock_id__in=[c.pk for c in clocks if c.pk]).order_by()
    for clock_id, step_id in rows.values_list("clock_id", "step_id"):
        by_clock[clock_id].add(step_id)
    return by_clock


def _bank(clock, rules, now):
    """Count a running clock's time so far in its current calendar and go on from `now`."""
    if clock.state == State.RUNNING:
        clock.used = used_at(clock, rules.schedule(clock.department_id), now)
        clock.resumed_at = now


def _fold(clock, rules, now):
    """Bank the running segment into `used` and stop counting."""
    _bank(clock, rules, now)
    clock.resumed_at = None


def _halt(clock, rules, now, state):
    _fold(clock, rules, now)
    if state == State.STOPPED and clock.used >= clock.target and clock.breached_at is None:
        clock.breached_at = clock.due_at or now
    clock.state = state
    clock.stopped_at = now if state != State.PAUSED else None
    schedule_clock(clock, rules, now)


def _retarget(clock, rules, request, now, fired):
    """Re-read the policy and calendar: priority, policy or calendar changed."""
    policy = rules.policy(request, clock.department_id, clock.metric)
    if policy is None:
        _halt(clock, rules, now, State.CANCELLED)
        return
    clock.policy = policy
    clock.target = policy.target(clock.metric)
    clock.warn_after = clock.target * policy.warn_percent / 100
    schedule_clock(clock, rules, now, fired=fired)


# The clocks of one request, changed by one action --------------------------------------------


REQUEST_CLOCKS = Compiled(
    lambda request_id: (
        Clock.objects.filter(request_id=request_id).exclude(state=State.CANCELLED).order_by("pk")
    )
)


class RequestClocks:
    def __init__(self, request, rules=None, now=None):
        self.request = request
        self.rules = rules or Rules()
        self.now = now or timezone.now()
        self.changed = {}
        self._clocks = None

    @property
    def clocks(self):
        if self._clocks is None:
            # Policies load lazily: only a resumed or retargeted clock reads its own.
            self._clocks = REQUEST_CLOCKS.rows(self.request.pk)
        return self._clocks

    def find(self, metric, *, task_id=None, states=Clock.ACTIVE):
        found = [
            c
            for c in self.clocks
            if c.metric == metric and c.task_id == task_id and c.state in states
        ]
        return found[-1] if found else None

    def _touch(self, clock):
        self.changed[id(clock)] = clock

    def start(self, metric, *, department_id, task_id=None):
        # The policy first: with none to apply, the request's clocks need not be read at all.
        policy = self.rules.policy(self.request, department_id, metric)
        if policy is None or self.find(metric, task_id=task_id):
            return
        target = policy.target(metric)
        clock = Clock(
            request=self.request,
            task_id=task_id,
            department_id=department_id,
            metric=metric,
            policy=policy,
            target=target,
            warn_after=target * policy.warn_percent / 100,
            started_at=self.now,
            resumed_at=self.now,
        )
        schedule_clock(clock, self.rules, self.now)
        self.clocks.append(clock)
        self._touch(clock)

    def halt(self, metric, state, *, task_id=None):
        clock = self.find(metric, task_id=task_id)
        if clock is not None and (clock.state, state) != (State.PAUSED, State.PAUSED):
            _halt(clock, self.rules, self.now, state)
            self._touch(clock)

    def resume(self, metric):
        clock = self.find(metric, states=(State.PAUSED, State.STOPPED))
        if clock is None or self.find(metric, states=(State.RUNNING,)):
            return
        clock.state = State.RUNNING
        clock.resumed_at = self.now
        clock.stopped_at = None
        schedule_clock(clock, self.rules, self.now, fired=fired_steps([clock])[clock.pk])
        self._touch(clock)

    def retarget_all(self):
        active = [c for c in self.clocks if c.is_active]
        fired = fired_steps(active)
        for clock in active:
            _retarget(clock, self.rules, self.request, self.now, fired[clock.pk])
            self._touch(clock)

    def save(self):
        # Halted clocks first: the partial unique index allows one active clock per metric.
        for clock in sorted(self.changed.values(), key=lambda c: c.is_active):
            clock.save()


# The hook --------------------------------------------------------------------------------------

ACTIVE_AGAIN = (RequestStatus.NEW, RequestStatus.OPEN, RequestStatus.WAITING_ON_DEPARTMENT)


def _opened(clocks, payload):
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        clocks.start(metric, department_id=clocks.request.department_id)


def _replied(clocks, payload):
    for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
        clocks.halt(metric, State.STOPPED)


def _customer_replied(clocks, payload):
    """The customer is waiting for an answer again, unless the first one is still owed."""
    if not clocks.find(Metric.FIRST_RESPONSE):
        clocks.start(Metric.NEXT_RESPONSE, department_id=clocks.request.department_id)


def _status_changed(clocks, payload):
    old, new = payload.get("old"), payload.get("new")
    if new == RequestStatus.WAITING_ON_CUSTOMER:
        clocks.halt(Metric.RESOLUTION, State.PAUSED)
    elif new in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        for metric in REQUEST_METRICS:
            clocks.halt(metric, State.STOPPED)
    elif new in ACTIVE_AGAIN and old in (RequestStatus.WAITING_ON_CUSTOMER, RequestStatus.RESOLVED):
        clocks.resume(Metric.RESOLUTION)


def _priority_changed(clocks, payload):
    clocks.retarget_all()


def _transferred(clocks, payload):
    """The new owner's calendar and policies apply from now on; tasks keep their departments."""
    for clock in clocks.clocks:
        if clock.is_active and clock.task_id is None:
            _bank(clock, clocks.rules, clocks.now)
            clock.department_id = clocks.request.department_id
    clocks.retarget_all()


def _task_created(clocks, payload):
    clocks.start(Metric.ANSWER, department_id=payload["department_id"], task_id=payload["task_id"])


def _task_finished(clocks, payload):
    clocks.halt(Metric.ANSWER, State.STOPPED, task_id=payload["task_id"])


HANDLERS = {
    "request_opened": _opened,
    "replied": _replied,
    "customer_replied": _customer_replied,
    "status_changed": _status_changed,
    "priority_changed": _priority_changed,
    "transferred": _transferred,
    "task_created": _task_created,
    "task_completed": _task_finished,
    "task_returned": _task_finished,
    "task_cancelled": _task_finished,
}


def on_change(change):
    """Called by workflows.log.changing() with the events an action recorded, before it saves."""
    relevant = [e for e in change.events if e.type in HANDLERS]
    if not relevant:
        return
    clocks = RequestClocks(change.request, Rules(change.config))
    for event in relevant:
        HANDLERS[event.type](clocks, event.payload)
    clocks.save()


# Recomputing after a configuration change ----------------------------------------------------


def retarget_open_clocks(department_ids=None, *, batch=200):
    """Recompute every open clock (of these departments): a policy, ladder or calendar changed.

    Request by request, under the request's row lock like any action, so a concurrent action
    or sweep never sees a half-recomputed request. Returns the number of requests visited."""
    from django.db import transaction

    from helpdesk.models import Request

    open_clocks = Clock.objects.filter(state__in=Clock.ACTIVE)
    if department_ids is not None:
        open_clocks = open_clocks.filter(department_id__in=department_ids)
    rules = Rules()
    visited, last = 0, 0
    while True:
        request_ids = list(
            open_clocks.filter(request_id__gt=last)
            .order_by("request_id")
            .values_list("request_id", flat=True)
            .distinct()[:batch]
        )
        if not request_ids:
            return visited
        for request_id in request_ids:
            with transaction.atomic():
                request = Request.objects.select_for_update().get(pk=request_id)
                clocks = RequestClocks(request, rules)
                clocks.retarget_all()
                clocks.save()
            visited += 1
        last = request_ids[-1]
