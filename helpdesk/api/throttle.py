"""Count failed token logins per client address; past the limit, refuse every try for a while.
The address is helpdesk.client_ip's: behind proxies, the one they saw, never what a client
writes in X-Forwarded-For.

A plain cache counter (Redis when scaled, so all processes share it): token guessing stops
after a handful of tries, and a valid token from the same address waits out the window too,
so the counter cannot be used to test tokens.
"""

from django.conf import settings
from django.core.cache import cache

DEFAULT_LIMIT = 20
DEFAULT_WINDOW_SECONDS = 300


def limit():
    return getattr(settings, "NUCLEUS_API_AUTH_FAILURE_LIMIT", DEFAULT_LIMIT)


def window_seconds():
    return getattr(settings, "NUCLEUS_API_AUTH_FAILURE_WINDOW", DEFAULT_WINDOW_SECONDS)


def _key(address):
    return f"nucleus:api-auth-failures:{address}"


def is_locked_out(address):
    return cache.get(_key(address), 0) >= limit()


def count_failure(address):
    key = _key(address)
    if cache.add(key, 1, timeout=window_seconds()):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds())
