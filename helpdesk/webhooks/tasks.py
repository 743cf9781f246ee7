"""Background deliveries on django-tasks (`manage.py db_worker` runs them)."""

from django_tasks import task

from helpdesk.models import Event
from helpdesk.selectors import attach_objects
from helpdesk.webhooks.delivery import attempt, render_body
from helpdesk.webhooks.models import Delivery, WebhookEndpoint


@task()
def deliver_webhooks(event_ids):
    """One delivery per (endpoint, event) that wants it, then a first attempt at each.

    Running twice (a retried task) sends nothing twice: the unique (endpoint, event) row is
    created once, and only its creator attempts it here."""
    events = attach_objects(
        list(Event.objects.filter(pk__in=event_ids).select_related("actor").order_by("pk"))
    )
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    created_ids = []
    for event in events:
        for endpoint in endpoints:
            if not endpoint.wants(event):
                continue
            delivery, created = Delivery.objects.get_or_create(
                endpoint=endpoint, event=event, defaults={"body": render_body(endpoint, event)}
            )
            if created:
                created_ids.append(delivery.pk)
    for delivery_id in created_ids:
        attempt(delivery_id)
    return {"deliveries": len(created_ids)}


@task()
def retry_delivery(delivery_id):
    delivery = attempt(delivery_id)
    return {"state": delivery.state if delivery else "skipped"}
