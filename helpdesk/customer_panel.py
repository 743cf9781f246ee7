"""The customer panel beside a request, kept rendered until something it shows changes.

Its five queries (goals, facts, open and past requests, tasks elsewhere) and their rendering
ran on every load of a request or task page, about 5 ms of CPU, though what they show
changes far less often than the page is opened. Everything the panel shows belongs to the
customer or to their organisation, and every write to it saves one of the models below;
each save replaces the customer's or the organisation's token after commit
(helpdesk.cache_tokens), and the panel is kept under both. Which of the other requests the
reader may open depends on their departments, so those are in the key too.
"""

from functools import cached_property

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_language

from helpdesk import cache_tokens, selectors, timeline
from helpdesk.models import ContextFact, Customer, DepartmentTask, Goal, Organisation, Request
from workflows import permissions


def _token_key(kind, pk):
    return f"customer-panel:{kind}:{pk}"


def changed(*, customer_id=None, organisation_id=None):
    """Panels of this customer (or of everyone at this organisation) are stale once it commits."""
    if customer_id:
        cache_tokens.replace_after_commit(_token_key("customer", customer_id))
    if organisation_id:
        cache_tokens.replace_after_commit(_token_key("organisation", organisation_id))


# What the panel shows of a request: an action that saves none of these (a note, an
# assignment, an escalation) leaves every panel as it was.
SHOWN_REQUEST_FIELDS = {"subject", "status", "department", "customer", "created_at"}


@receiver([post_save, post_delete], sender=Request)
def request_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or SHOWN_REQUEST_FIELDS & set(update_fields):
        changed(customer_id=instance.customer_id)


@receiver([post_save, post_delete], sender=DepartmentTask)
def task_changed(sender, instance, **kwargs):
    changed(customer_id=instance.customer_id)


@receiver([post_save, post_delete], sender=Goal)
@receiver([post_save, post_delete], sender=ContextFact)
def context_changed(sender, instance, **kwargs):
    changed(customer_id=instance.customer_id, organisation_id=instance.organisation_id)


@receiver([post_save, post_delete], sender=Customer)
def customer_changed(sender, instance, **kwargs):
    changed(customer_id=instance.pk)


@receiver([post_save, post_delete], sender=Organisation)
def organisation_changed(sender, instance, **kwargs):
    changed(organisation_id=instance.pk)


class Panel:
    """What customer_panel.html shows for `viewer` beside `request`, loaded only if its kept
    copy is missing."""

    def __init__(self, request, viewer):
        self.request = request
        self.viewer = viewer

    @cached_property
    def version(self):
        """The request (its panel leaves it out; created_at: reloaded databases reuse pks),
        the tokens, the reader's departments, and what the timelines' keys hold besides."""
        customer = self.request.customer
        keys = [_token_key("customer", customer.pk), timeline.GENERATION_KEY]
        if customer.organisation_id:
            keys.append(_token_key("organisation", customer.organisation_id))
        reader = (
            "admin"
            if permissions.is_admin(self.viewer)
            else ",".join(map(str, sorted(permissions.department_ids(self.viewer))))
        )
        parts = (
            self.request.pk,
            self.request.created_at.timestamp(),
            *cache_tokens.current(keys),
            reader,
            get_language(),
            timezone.get_current_timezone_name(),
        )
        return ":".join(map(str, parts))

    @cached_property
    def ctx(self):
        return selectors.customer_context(self.request, self.viewer)
