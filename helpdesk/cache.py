"""Django's Redis cache, made to degrade: Redis out of reach costs what is cached, never the
request.

The cache holds presence, rate-limit counters, sessions (read through to the database) and
rendered timelines (helpdesk.timeline). Django's RedisCache raises redis's
ConnectionError when Redis is down, which would turn a login, a websocket connect or a token
check into a 500 for as long as the outage lasts. Here a call that cannot reach Redis answers
as a miss does (the default, nothing stored, no count) and logs a warning: django-redis's
IGNORE_EXCEPTIONS, for the built-in backend. Other Redis errors still raise.
"""

import contextlib
import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _unless_unreachable(operation):
    """Swallow an unreachable Redis; the caller then returns its miss answer."""
    try:
        yield
    except (ConnectionError, TimeoutError) as exc:
        log.warning("cache out of reach, %s skipped: %s", operation, exc)


class OneClientPerPool(RedisCacheClient):
    """Django wraps the connection pool in a new redis.Redis for every call, about 75 us each
    here, more than half of a local GET; a client is thread-safe, so one per pool will do."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = OneClientPerPool

    def get(self, key, default=None, version=None):
        with _unless_unreachable("get"):
            return super().get(key, default, version)
        return default

    def get_many(self, keys, version=None):
        with _unless_unreachable("get_many"):
            return super().get_many(keys, version)
        return {}

    def has_key(self, key, version=None):
        with _unless_unreachable("has_key"):
            return super().has_key(key, version)
        return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with _unless_unreachable("add"):
            return super().add(key, value, timeout, version)
        return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with _unless_unreachable("set"):
            super().set(key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        with _unless_unreachable("set_many"):
            return super().set_many(data, timeout, version)
        return list(data)  # the keys that were not stored

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        with _unless_unreachable("touch"):
            return super().touch(key, timeout, version)
        return False

    def incr(self, key, delta=1, version=None):
        """None when Redis is out of reach: no count (django-ratelimit reads it as a failed
        cache and follows RATELIMIT_FAIL_OPEN)."""
        with _unless_unreachable("incr"):
            return super().incr(key, delta, version)
        return None

    def delete(self, key, version=None):
        with _unless_unreachable("delete"):
            return super().delete(key, version)
        return False

    def delete_many(self, keys, version=None):
        with _unless_unreachable("delete_many"):
            super().delete_many(keys, version)

    def clear(self):
        with _unless_unreachable("clear"):
            return super().clear()
        return False
