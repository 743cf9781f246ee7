"""Idempotency-Key on POST: a retry gets the first answer again and writes nothing more.

The record is inserted in the same transaction as the write it guards, and its unique
(token, key) constraint is the lock: a concurrent retry blocks on the insert until the first
transaction ends, then replays its stored answer. If the first one failed with a server error,
its record rolled back with it, so the retry simply runs.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from helpdesk.api.models import IdempotencyRecord
from workflows.errors import InvalidInput, WorkflowError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(hours=24)


class KeyReused(WorkflowError):
    """The key was used before for a different request: refusing beats guessing."""

    status_code = 422


def run(request, respond):
    """respond() -> Response (errors already turned into responses). With a key, the answer is
    sent as the exact bytes stored, so a replay is byte for byte the same."""
    key = request.headers.get(HEADER)
    if key is None:
        return respond()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.")
    token = request.auth
    fingerprint = {
        "method": request.method,
        "path": request.path,
        "body_hash": hashlib.sha256(request.body).hexdigest(),
    }
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            token=token, created_at__lt=timezone.now() - KEEP_FOR
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token, key=key, status_code=0, response_body="", **fingerprint
                )
        except IntegrityError:
            return _replay(token, key, fingerprint)
        response = respond()
        if response.status_code >= 500:
            transaction.set_rollback(True)  # a retry should try again, not replay a failure
            return response
        record.status_code = response.status_code
        record.response_body = JSONRenderer().render(response.data).decode()
        record.save(update_fields=["status_code", "response_body"])
    return _stored(record)


def _replay(token, key, fingerprint):
    record = IdempotencyRecord.objects.get(token=token, key=key)
    if any(getattr(record, field) != value for field, value in fingerprint.items()):
        raise KeyReused(f"This {HEADER} was already used for a different request.")
    response = _stored(record)
    response["Idempotent-Replayed"] = "true"
    return response


def _stored(record):
    return HttpResponse(
        record.response_body, status=record.status_code, content_type="application/json"
    )
