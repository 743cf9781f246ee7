"""Counts that the lists show, kept until the next published event.

A console sidebar counts every active request its reader may see (about 10 ms of SQL at
100,000 requests), the inbox its tabs likewise, and the top bar its badges; none depends on
the page, the filters or the search text, yet every page turn, filter change and search
keystroke asked for them again. Between two events they cannot change, so each is kept with
a token that `publish` replaces before it tells the live lists to refresh: a count read under
the old token is never served again, and the lists' refresh counts afresh.

The token is read before the count it guards: a count taken around a commit is kept under
the token of before, which that commit's publish replaces. A count is kept for at most
TIMEOUT, for what moves with the clock alone (a deadline coming near) and for changes made
outside the workflows (the admin). Where the cache is per process (the embedded default),
a background worker's events reach the web process through the relay, which publishes them
there; until then the lists there are not refreshed either.
"""

import secrets

from django.core.cache import cache

TOKEN_KEY = "nucleus:counts-token"
TIMEOUT = 10  # seconds
# Events that change nothing a list counts: no state, owner, department, task, SLA clock or
# notification. The counts kept outlive them; back-office questions are mostly notes.
UNCOUNTED_EVENTS = {"note_added"}


def changed_by(events):
    return any(event.type not in UNCOUNTED_EVENTS for event in events)


def events_published():
    """Every count kept so far is stale: called for each published batch of events (and when
    notifications are marked read, which no event records)."""
    cache.set(TOKEN_KEY, secrets.token_hex(8), None)


def kept(key, count):
    """`count()` (something picklable), or what it gave under the current token."""
    found = cache.get_many([TOKEN_KEY, key])
    token = found.get(TOKEN_KEY)
    if token is None:  # first use, or the cache lost it: start a token, count afresh
        cache.add(TOKEN_KEY, secrets.token_hex(8), None)
        return count()
    kept_token, value = found.get(key, (None, None))
    if kept_token == token:
        return value
    value = count()
    cache.set(key, (token, value), TIMEOUT)
    return value
