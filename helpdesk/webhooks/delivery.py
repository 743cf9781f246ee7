"""Build, sign and send one delivery, and record what happened.

Signed per Standard Webhooks: `webhook-id` (the same on every retry), `webhook-timestamp`
(seconds) and `webhook-signature` ("v1," + base64 HMAC-SHA256 of "id.timestamp.body" under
the endpoint's secret). Receivers verify with any Standard Webhooks library.
"""

import http.client
import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from helpdesk.api.serializers import PublicEventOut, StaffEventOut
from helpdesk.webhooks import encryption, ssrf
from helpdesk.webhooks.models import Delivery, WebhookEndpoint

TIMEOUT_SECONDS = 10
LEASE = timedelta(seconds=3 * TIMEOUT_SECONDS)  # a worker that died mid-send frees it by then
RETRY_DELAYS = [timedelta(seconds=seconds) for seconds in (10, 60, 300, 1800, 7200, 21600, 43200)]
State = Delivery.State


def render_body(endpoint, event):
    """The JSON sent for an event; a public endpoint gets the customer's allow-listed view."""
    out = StaffEventOut if endpoint.scope == WebhookEndpoint.Scope.STAFF else PublicEventOut
    message = {
        "type": f"request.{event.type}",
        "timestamp": event.created_at.isoformat(),
        "data": out(event).data,
    }
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def signed_headers(secret, webhook_id, body, now):
    return {
        "Content-Type": "application/json",
        "User-Agent": "Nucleus-Webhooks/1",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
    }


def attempt(delivery_id):
    """Send once, unless another worker holds it or it is already settled."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, state__in=[State.PENDING, State.RETRYING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    status, error = None, ""
    if not endpoint.active:
        error = "The endpoint was deactivated."
    else:
        try:
            target = ssrf.check_url(endpoint.url)  # again: DNS may have moved
            headers = signed_headers(endpoint.secret, delivery.webhook_id, delivery.body, now)
            status, _ = ssrf.post(target, delivery.body.encode(), headers, timeout=TIMEOUT_SECONDS)
        except ssrf.UnsafeTarget as exc:
            error = f"Refused: {exc}"
        except encryption.SecretUnreadable as exc:
            error = str(exc)  # retried: restoring the fallback key mends it
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if 300 <= status < 400:
                error = f"HTTP {status}: redirects are not followed."
            elif not 200 <= status < 300:
                error = f"HTTP {status}"
    record(delivery, status=status, error=error, retry=endpoint.active)
    return delivery


def record(delivery, *, status, error, retry):
    from helpdesk.webhooks.tasks import retry_delivery

    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = error[:500]
    delivery.lease_until = None
    delivery.next_attempt_at = None
    if not error:
        delivery.state = State.SUCCEEDED
        delivery.delivered_at = now
    elif retry and delivery.attempts <= len(RETRY_DELAYS):
        delivery.state = State.RETRYING
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    else:
        delivery.state = State.FAILED
    with transaction.atomic():
        delivery.save()
        if delivery.state == State.RETRYING:
            retry_delivery.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
