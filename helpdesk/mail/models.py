"""What the email channel remembers: every message received, every message sent, the files
that came with them, and the mail it would not import."""

from django.db import models

from helpdesk.models import Message, Request


class ReceivedEmail(models.Model):
    """One inbound message and what became of it. Its unique key makes a redelivery a no-op."""

    class Outcome(models.TextChoices):
        OPENED = "opened", "Opened a request"
        REPLIED = "replied", "Customer reply"
        STAFF_REPLY = "staff_reply", "Staff reply"
        STAFF_NOTE = "staff_note", "Staff internal note"
        IGNORED = "ignored", "Ignored (automatic mail)"
        QUARANTINED = "quarantined", "Kept aside"

    dedupe_key = models.CharField(
        max_length=64,
        unique=True,
        help_text="SHA-256 of sender and Message-ID, or of the raw message.",
    )
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    sender = models.CharField(max_length=254, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The message it became on the request.",
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.sender}: {self.subject}"


class QuarantinedEmail(models.Model):
    """Mail kept aside whole (too large, unreadable, a staff address without a valid token),
    so an admin can look at it; nothing of it was imported."""

    received = models.OneToOneField(
        ReceivedEmail, on_delete=models.CASCADE, related_name="quarantine"
    )
    reason = models.CharField(max_length=300)
    raw = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "quarantined emails"

    def __str__(self):
        return f"{self.received}: {self.reason}"


class Attachment(models.Model):
    """A file that came by email. Name and type are the sender's words, kept as data only:
    downloads are always served as opaque attachments."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        help_text="Empty for files that came with the email that opened the request.",
    )
    received = models.ForeignKey(
        ReceivedEmail, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    # In the database, not on disk: the import is one transaction, and a rolled-back import
    # must leave no file behind.
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename


class OutboundEmail(models.Model):
    """The outbox: each email we send, composed once so a retry sends the same thing under
    the same Message-ID, which a reply's In-Reply-To then points back to."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        ACKNOWLEDGEMENT = "ack", "Acknowledgement"
        STATUS_LINKS = "status_links", "Status links"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.OneToOneField(
        "helpdesk.Event",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The event this email tells the customer about: one email per event.",
    )
    message_id = models.CharField(max_length=255, unique=True)
    to = models.EmailField()
    reply_to = models.CharField(
        max_length=254, help_text="Carries the signed reply token; also the envelope sender."
    )
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    references = models.TextField(blank=True, help_text="Message-IDs of the thread, oldest first.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to}"
