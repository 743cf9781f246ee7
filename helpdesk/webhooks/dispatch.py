"""The one hook the workflows call: hand a change's events to the webhook deliveries."""

from helpdesk.webhooks.tasks import deliver_webhooks


def enqueue_for(events, endpoints):
    """Call inside the action's transaction (workflows.log.changing, beside the publish).

    The task queue is the database backend on the same database, so the task row commits or
    rolls back with the events themselves: a committed event is never missed by a crash
    between commit and enqueue (which on_commit would allow), and a rolled-back action sends
    nothing. No endpoint that wants these events: no task at all. `endpoints` are the active
    ones, as workflows.config keeps them for the action.
    """
    events = list(events)
    if any(endpoint.wants(event) for endpoint in endpoints for event in events):
        deliver_webhooks.enqueue([event.pk for event in events])
