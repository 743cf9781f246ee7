"""What every action consults and staff rarely change, kept in each process: the active SLA
policies and webhook endpoints.

Reading both on every action was up to two of its eight or so statements. Any change to them
replaces the ConfigVersion token in the same transaction (the signals below); an action reads
the token in the statement that locks its request (workflows.log.changing) and reloads its
copy when the token differs, so it never acts on configuration older than what had committed
when it took its lock: the same guarantee as reading the tables there.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from helpdesk.webhooks.models import WebhookEndpoint
from workflows.models import ConfigVersion, SLAPolicy

ROW = 1
_kept = None  # the Config this process holds


@dataclass(frozen=True)
class Config:
    token: uuid.UUID | None
    policies: tuple  # active SLA policies, in the order they are tried
    webhook_endpoints: tuple  # active endpoints


def token_column():
    """The current token as a column of another query: read with no statement of its own."""
    return Subquery(ConfigVersion.objects.filter(pk=ROW).values("token")[:1])


def current():
    """The configuration now, for work that holds no request lock (the SLA sweep, a recompute)."""
    return at(ConfigVersion.objects.filter(pk=ROW).values_list("token", flat=True).first())


def at(token):
    """The configuration under `token`, from this process's copy when it is that one. A missing
    row (a database flushed between tests) gives a fresh read that is not kept."""
    global _kept
    if _kept is not None and token is not None and _kept.token == token:
        return _kept
    config = Config(
        token=token,
        policies=tuple(SLAPolicy.objects.filter(active=True).order_by("position", "pk")),
        webhook_endpoints=tuple(WebhookEndpoint.objects.filter(active=True)),
    )
    if token is not None:
        _kept = config  # one assignment: threads see the old copy or the new one
    return config


@receiver([post_save, post_delete], sender=SLAPolicy)
@receiver([post_save, post_delete], sender=WebhookEndpoint)
def changed(sender, **kwargs):
    ConfigVersion.objects.update_or_create(pk=ROW, defaults={"token": uuid.uuid4()})
