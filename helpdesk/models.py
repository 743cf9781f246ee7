"""The domain: who the customers are, which departments serve them, and their requests."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from workflows.states import RequestStateMachine, TaskStateMachine


def new_public_token():
    """256 random bits, URL-safe: the customer's only key to their status page."""
    return secrets.token_urlsafe(32)


class Organisation(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard", "Standard"
        PREMIUM = "premium", "Premium"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=200, unique=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Goal(models.Model):
    """What a customer or an organisation is trying to achieve, so nobody works blind."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        ABANDONED = "abandoned", "Abandoned"

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    text = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(organisation__isnull=False),
                name="goal_has_owner",
            )
        ]

    def __str__(self):
        return self.text


class Department(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True, help_text="What this department handles, so anyone can route a question here."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StaffMembership", related_name="departments"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffMembership(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        BACK_OFFICE = "back_office", "Back office"
        LEAD = "lead", "Lead"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="one_membership_per_dept")
        ]

    def __str__(self):
        return f"{self.user} in {self.department} ({self.get_role_display()})"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Request(RequestStateMachine):
    class Channel(models.TextChoices):
        WEB = "web", "Web"
        EMAIL = "email", "Email"
        API = "api", "API"
        PHONE = "phone", "Phone"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="requests")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="requests")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    last_event_seq = models.PositiveIntegerField(
        default=0, help_text="Sequence number of the newest event; doubles as the row version."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "-updated_at", "-id"]),
            models.Index(fields=["assignee", "status", "-updated_at", "-id"]),
            # Console queues page by recency across statuses and departments (keyset pages).
            models.Index(fields=["-updated_at", "-id"], name="request_recent"),
            models.Index(fields=["customer", "-created_at"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"


class Message(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "Public reply"
        NOTE = "note", "Internal note"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    is_markdown = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.request_id}"

    @property
    def is_public(self):
        return self.kind == self.Kind.REPLY


class DepartmentTask(TaskStateMachine):
    """A piece of a request handed to a department; several can be open at once."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="tasks")
    # The request's customer, which never changes: the customer panel lists a customer's open
    # tasks from an index of its own instead of going through every request they ever made.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    # Not indexed on its own: every index below starts with it.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    instructions = models.TextField()
    due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(blank=True, help_text="The answer, or the reason it was returned.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "-created_at", "-id"]),
            # Who may open what (permissions.visible_requests): a department's task requests,
            # read from the index alone rather than from thousands of rows.
            models.Index(fields=["department", "request"], name="task_department_request"),
            # The inbox's Open tab (open and claimed together) walks this in order and stops
            # after a page, instead of sorting every open task of the department.
            models.Index(
                fields=["department", "-created_at", "-id"],
                condition=Q(status__in=["open", "claimed"]),
                name="task_open_recent",
            ),
            models.Index(
                fields=["customer", "-created_at", "-id"],
                condition=Q(status__in=["open", "claimed"]),
                name="task_open_by_customer",
            ),
        ]

    def __str__(self):
        return f"{self.department}: {self.instructions[:60]}"


class ContextFact(models.Model):
    """A fact about a customer or organisation pushed by another system (ERP, billing...)."""

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="facts"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="facts"
    )
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=32)
    label = models.CharField(max_length=200)
    value = models.CharField(max_length=500, blank=True)
    link = models.URLField(blank=True)
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["-observed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="fact_unique_per_source"
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(organisation__isnull=False),
                name="fact_has_subject",
            ),
        ]

    def __str__(self):
        return f"{self.source}: {self.label}"


class Event(models.Model):
    """One entry of a request's ordered log: append-only, gapless per request."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set once the live relay has handed it to the channel layer.",
    )

    class Meta:
        ordering = ["request", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["request", "seq"], name="event_seq_unique_per_request")
        ]
        indexes = [
            models.Index(
                fields=["id"], name="event_unpublished", condition=Q(published_at__isnull=True)
            )
        ]

    def __str__(self):
        return f"#{self.request_id}.{self.seq} {self.type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)

    @property
    def is_public(self):
        return self.visibility == self.Visibility.PUBLIC
