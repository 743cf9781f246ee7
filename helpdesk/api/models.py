"""API credentials and the replay store that makes retried POSTs safe."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from helpdesk.models import Customer


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 hash is stored: the secret is shown once, at creation.

    A staff token acts as its user, with exactly that user's permissions on the web; a customer
    token is bound to one customer and sees only their own requests and public events.
    """

    class Scope(models.TextChoices):
        STAFF = "staff", "Staff (acts as a user)"
        CUSTOMER = "customer", "Customer (one customer's own requests)"

    name = models.CharField(max_length=100, blank=True, help_text="What uses this token.")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=12, editable=False, help_text="The secret's first characters, to tell apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="staff", user__isnull=False, customer__isnull=True)
                    | Q(scope="customer", customer__isnull=False, user__isnull=True)
                ),
                name="api_token_bound_to_its_scope",
            )
        ]

    def __str__(self):
        owner = self.user if self.scope == self.Scope.STAFF else self.customer
        return f"{self.hint}… ({self.get_scope_display()}: {owner})"

    @property
    def is_staff_scope(self):
        return self.scope == self.Scope.STAFF

    def is_usable(self, now=None):
        now = now or timezone.now()
        if self.revoked_at is not None or self.expires_at <= now:
            return False
        return self.user.is_active if self.is_staff_scope else True


class IdempotencyRecord(models.Model):
    """The answer given to one (token, Idempotency-Key): a retry gets it again, never a rewrite.

    The unique constraint is the lock: a concurrent retry's insert waits for the first writer's
    transaction (PostgreSQL) or its write lock (SQLite), then finds the stored answer.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField(help_text="The JSON answer, byte for byte.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_per_token")
        ]
        indexes = [models.Index(fields=["token", "created_at"], name="idempotency_token_age")]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"
