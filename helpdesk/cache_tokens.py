"""Tokens that kept copies are named by, replaced once a change to what they cover commits.

Replacing after the commit, not before: a page rendering meanwhile could otherwise keep what
it read before the change under the new token. A missing token (never set, evicted, or the
cache out of reach) always gets a new random value, so a lost one can never bring back the
copies kept under its old value. Nothing is deleted: a copy nobody names again expires.
"""

import secrets

from django.core.cache import cache
from django.db import transaction


def current(keys):
    """The token under each key, starting one where it is missing."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            fresh = secrets.token_hex(8)
            found[key] = fresh if cache.add(key, fresh, None) else cache.get(key, fresh)
    return [found[key] for key in keys]


def replace_after_commit(key):
    """One SET per key: set_many's pipeline cost an action three times as much."""
    transaction.on_commit(lambda: cache.set(key, secrets.token_hex(8), None), robust=True)
