"""Issuing, checking and revoking API tokens (services: the admin and the command call these)."""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from helpdesk.api.models import ApiToken
from helpdesk.models import Customer
from workflows import permissions
from workflows.errors import InvalidInput

PREFIX = "nuc_"  # lets secret scanners and people recognise a leaked token
DEFAULT_DAYS = 90
MAX_DAYS = 366
# Writing last_used_at on every call would turn each read into a write: once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(*, scope, user=None, customer=None, days=DEFAULT_DAYS, name=""):
    """Create a token; returns (token, secret). The secret exists only in this return value."""
    if scope == ApiToken.Scope.STAFF:
        if user is None or customer is not None:
            raise InvalidInput("A staff token acts as one user, and only that.")
        if not user.is_active or not permissions.is_staff_member(user):
            raise InvalidInput(f"{user} is not an active staff member.")
    elif scope == ApiToken.Scope.CUSTOMER:
        if not isinstance(customer, Customer) or user is not None:
            raise InvalidInput("A customer token is bound to one customer, and only that.")
    else:
        raise InvalidInput(f"Unknown scope {scope!r}.")
    if not 1 <= int(days) <= MAX_DAYS:
        raise InvalidInput(f"A token lives between 1 and {MAX_DAYS} days.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        scope=scope,
        user=user,
        customer=customer,
        key_hash=hash_secret(secret),
        hint=secret[: len(PREFIX) + 4],
        expires_at=timezone.now() + timedelta(days=int(days)),
    )
    return token, secret


def token_for_secret(secret):
    """The usable token with this secret, or None (unknown, expired, revoked, inactive user)."""
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("user", "customer")
        .filter(key_hash=hash_secret(secret))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        # Token bookkeeping, not request state: a conditional update keeps it one cheap query.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(tokens):
    """Revoke at once: the next call with any of these tokens is refused."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
