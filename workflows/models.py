"""SLA configuration (calendars, policies, escalation ladders) and the clocks they drive.

Configuration is edited in the admin; clocks and fired steps are written only by workflows.sla
(through the hook in workflows.log.changing and the sweep engine), notifications only by
workflows actions (SLA steps, an assignment by a colleague).
"""

import uuid
from datetime import timedelta
from zoneinfo import available_timezones

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from helpdesk.models import Department, DepartmentTask, Organisation, Priority, Request
from workflows.states import MAX_ESCALATION_LEVEL


def validate_time_zone(value):
    if value not in available_timezones():
        raise ValidationError(f"Unknown time zone {value!r} (use an IANA name like Europe/Paris).")


def default_time_zone():
    return settings.TIME_ZONE


def validate_country(value):
    if value and value not in holidays.list_supported_countries():
        raise ValidationError(f"No public holiday data for country code {value!r}.")


class BusinessCalendar(models.Model):
    """When a department works. A calendar without a department is the default for departments
    that have none; with no calendar at all, targets count in plain (24/7) hours."""

    name = models.CharField(max_length=100)
    department = models.OneToOneField(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar"
    )
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    country = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_country],
        help_text="ISO country code whose public holidays close the calendar (e.g. GB, FR, US).",
    )
    subdivision = models.CharField(
        max_length=8, blank=True, help_text="Region for regional holidays (e.g. ENG, SCT, CA)."
    )
    updated_at = models.DateTimeField(
        auto_now=True, help_text="Bumped by any change to the hours or closures: the cache key."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # At most one default (department-less) calendar; one per department otherwise.
            models.UniqueConstraint(
                Coalesce("department", Value(0)), name="one_calendar_per_department"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.country and self.subdivision:
            subdivisions = holidays.list_supported_countries().get(self.country, [])
            if self.subdivision not in subdivisions:
                raise ValidationError(
                    {"subdivision": f"{self.country} has no subdivision {self.subdivision!r}."}
                )


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name_plural = "working hours"

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self):
        if self.opens is not None and self.closes is not None:
            if self.closes.minute == 0 and self.closes.hour == 0:
                return
            if self.closes <= self.opens:
                raise ValidationError("Closing time must be after opening time.")


class ClosureDate(models.Model):
    """A day the department is closed on top of public holidays (company day off, stocktake)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_closure_per_day")
        ]

    def __str__(self):
        return f"{self.date} {self.reason}".strip()


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    ANSWER = "answer", "Department answer"


REQUEST_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION)


class EscalationLadder(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EscalationStep(models.Model):
    """One rung: when it triggers (a share of the target, or business time past the breach) and
    what it does. Steps fire in trigger order, each once per clock."""

    class Notify(models.TextChoices):
        NOBODY = "", "Nobody"
        ASSIGNEE = "assignee", "The assignee"
        LEADS = "leads", "The department's leads"
        ASSIGNEE_AND_LEADS = "assignee_and_leads", "The assignee and the leads"

    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="steps")
    metric = models.CharField(
        max_length=16, choices=Metric.choices, blank=True, help_text="Empty: every metric."
    )
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Trigger at this share of the target (e.g. 75)."
    )
    after_breach = models.DurationField(
        null=True, blank=True, help_text="Or trigger this much business time after the breach."
    )
    notify = models.CharField(max_length=24, choices=Notify.choices, blank=True)
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Also notify these people (a manager, the duty lead...).",
    )
    set_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=[(n, f"Level {n}") for n in range(1, MAX_ESCALATION_LEVEL + 1)],
        help_text="Escalate the request to at least this level.",
    )
    raise_priority = models.BooleanField(default=False, help_text="Raise the priority one step.")
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Reassign the request to this person (request clocks only).",
    )

    class Meta:
        ordering = [
            "ladder",
            F("percent").asc(nulls_last=True),
            F("after_breach").asc(nulls_last=True),
            "pk",
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(percent__isnull=False, percent__gte=1, after_breach__isnull=True)
                    | Q(percent__isnull=True, after_breach__isnull=False)
                ),
                name="step_has_one_trigger",
            )
        ]

    def __str__(self):
        return f"{self.trigger_label}: {self.effects_label}"

    def clean(self):
        if (self.percent is None) == (self.after_breach is None):
            raise ValidationError("Give either a percentage of the target or a time past breach.")

    @property
    def trigger_label(self):
        if self.percent is not None:
            return f"{self.percent}% of target"
        return f"{format_duration(self.after_breach)} past breach"

    @property
    def effects_label(self):
        effects = []
        if self.set_level:
            effects.append(f"escalate to level {self.set_level}")
        if self.raise_priority:
            effects.append("raise priority")
        if self.reassign_to_id:
            effects.append(f"reassign to {self.reassign_to}")
        if self.notify:
            effects.append(f"notify {self.get_notify_display().lower()}")
        return ", ".join(effects) or "record on the timeline"

    def threshold(self, target):
        """Business time used at which this step triggers, for a clock with this target."""
        if self.percent is not None:
            return target * self.percent / 100
        return target + self.after_breach

    def applies_to(self, metric):
        return not self.metric or self.metric == metric


def format_duration(value):
    """4h 30m, 2d 1h (business days are not 24h, so days only appear for long plain spans)."""
    seconds = int(abs(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    mins = rest // 60
    if hours and mins:
        return f"{hours}h {mins}m"
    if hours:
        return f"{hours}h"
    return f"{mins}m" if mins else f"{seconds}s"


class SLAPolicy(models.Model):
    """Targets in business time. Policies are tried by position; for each metric the first
    active policy that matches the request and has a target for that metric wins."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(
        default=100, help_text="Lower positions are tried first."
    )
    active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, null=True, blank=True, help_text="Empty: any priority."
    )
    tier = models.CharField(
        max_length=16, choices=Organisation.Tier.choices, blank=True, help_text="Empty: any tier."
    )
    channel = models.CharField(
        max_length=8, choices=Request.Channel.choices, blank=True, help_text="Empty: any channel."
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        help_text="Requests owned by, or tasks handed to, this department. Empty: any.",
    )
    first_response = models.DurationField(null=True, blank=True)
    next_response = models.DurationField(null=True, blank=True)
    resolution = models.DurationField(null=True, blank=True)
    answer = models.DurationField(
        null=True, blank=True, help_text="How long a department has to answer a task."
    )
    warn_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Badges turn to warning at this share of the target."
    )
    ladder = models.ForeignKey(
        EscalationLadder, null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=100), name="warn_percent_range"
            )
        ]

    def __str__(self):
        return self.name

    def target(self, metric):
        return getattr(self, metric)

    def clean(self):
        for metric in Metric.values:
            value = self.target(metric)
            if value is not None and value <= timedelta(0):
                raise ValidationError({metric: "A target must be longer than zero."})


class Clock(models.Model):
    """One SLA metric of one request (or the answer clock of one department task).

    Business time used is `used` (closed segments) plus the calendar time since `resumed_at`
    while running. `next_step_at` is when the sweep must look at this clock next (a milestone
    or a ladder step); it is indexed only for running clocks, so the sweep's cost follows what
    is due, not how many requests are open."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.RUNNING, State.PAUSED)

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="clocks")
    task = models.ForeignKey(
        DepartmentTask, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Whose calendar this clock counts in.",
    )
    metric = models.CharField(max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(
        SLAPolicy, null=True, on_delete=models.SET_NULL, related_name="clocks"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    target = models.DurationField()
    warn_after = models.DurationField()
    used = models.DurationField(default=timedelta(0), help_text="Up to resumed_at.")
    started_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    next_step = models.ForeignKey(
        EscalationStep,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty with a next_step_at: the warning or breach milestone is next.",
    )
    next_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "metric"],
                name="one_active_request_clock",
                condition=Q(task__isnull=True, state__in=["running", "paused"]),
            ),
            models.UniqueConstraint(
                fields=["task"],
                name="one_active_task_clock",
                condition=Q(task__isnull=False, state__in=["running", "paused"]),
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                name="sla_clock_due",
                condition=Q(state="running", next_step_at__isnull=False),
            ),
            models.Index(
                fields=["department", "warn_at"],
                name="sla_clock_warning",
                condition=Q(state="running"),
            ),
            models.Index(fields=["request", "state"], name="sla_clock_request"),
        ]

    def __str__(self):
        subject = f"task {self.task_id}" if self.task_id else f"#{self.request_id}"
        return f"{self.get_metric_display()} of {subject} ({self.get_state_display()})"

    @property
    def is_active(self):
        return self.state in self.ACTIVE


class FiredStep(models.Model):
    """The proof a step ran: written in the transaction that applied it, unique per clock."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="fired_steps")
    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField()

    class Meta:
        ordering = ["clock", "fired_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "step"], name="step_fires_once_per_clock")
        ]

    def __str__(self):
        return f"{self.step} on {self.clock}"


class Notification(models.Model):
    """An entry of a person's in-app notification list (also sent by email)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read", "-created_at"], name="notification_inbox")]

    def __str__(self):
        return self.text


class ConfigVersion(models.Model):
    """One row whose token changes whenever SLA policies or webhook endpoints do (see
    workflows.config). A random token rather than a counter: a rolled-back change must never
    leave a number that a later change reuses while a process still holds the copy it named."""

    token = models.UUIDField(default=uuid.uuid4)

    def __str__(self):
        return str(self.token)
