"""Where events are sent, and the log of every attempt to send them."""

import base64
import secrets

from django.core.exceptions import ValidationError
from django.db import models

from helpdesk.models import Event
from helpdesk.webhooks import encryption, ssrf

SECRET_PREFIX = "whsec_"  # the Standard Webhooks secret format: base64 after the prefix


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_encrypted_secret():
    return encryption.encrypt(new_secret())


def validate_target(url):
    try:
        ssrf.check_url(url)
    except ssrf.UnsafeTarget as exc:
        raise ValidationError(str(exc)) from None


class WebhookEndpoint(models.Model):
    class Scope(models.TextChoices):
        PUBLIC = "public", "Public events only (what customers may see)"
        STAFF = "staff", "All events, internal ones too"

    url = models.URLField(max_length=2000, validators=[validate_target])
    description = models.CharField(max_length=200, blank=True)
    # Never the secret itself: see helpdesk.webhooks.encryption; read and set `secret`.
    secret_encrypted = models.TextField(default=new_encrypted_secret, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.PUBLIC)
    event_types = models.JSONField(
        default=list,
        blank=True,
        help_text='Event types to send, e.g. ["replied", "status_changed"]; empty sends all.',
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]

    def __str__(self):
        return self.url

    def save(self, *args, **kwargs):
        # Checked on every save, not only through forms: no code path stores an internal target.
        validate_target(self.url)
        super().save(*args, **kwargs)

    def clean(self):
        if not isinstance(self.event_types, list) or not all(
            isinstance(t, str) for t in self.event_types
        ):
            raise ValidationError({"event_types": "A list of event type names."})

    @property
    def secret(self):
        return encryption.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, plaintext):
        self.secret_encrypted = encryption.encrypt(plaintext)

    def wants(self, event):
        """Internal events go only to staff-scoped endpoints."""
        if not self.active or (self.scope != self.Scope.STAFF and not event.is_public):
            return False
        return not self.event_types or event.type in self.event_types


class Delivery(models.Model):
    """One event for one endpoint: its body is fixed when created, so every retry sends the
    same bytes under the same webhook-id."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed, gave up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.event} -> {self.endpoint} ({self.get_state_display()})"

    @property
    def webhook_id(self):
        """The same for every retry, so receivers can drop duplicates."""
        return f"evt_{self.event_id}"
