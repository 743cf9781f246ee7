"""Writes that are not request workflow: context facts pushed by other systems."""

from django.db import transaction

from helpdesk.api.scope import customer_named
from helpdesk.models import ContextFact, Organisation
from workflows import permissions
from workflows.actions.validation import require
from workflows.errors import InvalidInput

FACT_FIELDS = ("kind", "label", "value", "link", "observed_at")


def upsert_fact(actor, data):
    """Create or update the fact known as (source, external_id); returns (fact, created).

    A re-sent fact updates in place, and two systems pushing the same one at once end with one
    row (update_or_create retries its lookup when the unique constraint refuses the insert).
    """
    require(permissions.uses_console(actor), "Only agents, leads and admins can write facts.")
    customer_given = data.get("customer") is not None or bool(data.get("customer_email"))
    organisation_id = data.get("organisation")
    if customer_given == (organisation_id is not None):
        raise InvalidInput("A fact is about one customer or one organisation: name exactly one.")
    subject = {"customer": None, "organisation": None}
    if customer_given:
        subject["customer"] = customer_named(data.get("customer"), data.get("customer_email"))
    else:
        subject["organisation"] = Organisation.objects.filter(pk=organisation_id).first()
        if subject["organisation"] is None:
            raise InvalidInput("No such organisation.")
    with transaction.atomic():
        return ContextFact.objects.update_or_create(
            source=data["source"],
            external_id=data["external_id"],
            defaults={**subject, **{field: data[field] for field in FACT_FIELDS}},
        )
