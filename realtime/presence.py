"""Who has a request open, and who is writing on it. Best effort, kept in the cache
(shared Redis when scaled), each viewer expiring on its own."""

import time

from django.core.cache import cache

TTL = 120
COMPOSING_FOR = 8


def _key(request_id):
    return f"presence:{request_id}"


def join(request_id, socket_id, user):
    _update(request_id, socket_id, {"user_id": user.pk, "name": user.first_name or user.username})


def leave(request_id, socket_id):
    entries = cache.get(_key(request_id), {})
    entries.pop(socket_id, None)
    cache.set(_key(request_id), entries, TTL)


def composing(request_id, socket_id, user, kind):
    _update(
        request_id,
        socket_id,
        {
            "user_id": user.pk,
            "name": user.first_name or user.username,
            "composing": "reply" if kind == "reply" else "note",
            "until": time.time() + COMPOSING_FOR,
        },
    )


def _update(request_id, socket_id, entry):
    entries = cache.get(_key(request_id), {})
    entries[socket_id] = entry | {"seen": time.time()}
    cache.set(_key(request_id), entries, TTL)


def viewers(request_id):
    """One line per person (several tabs count once); composing wins while it is fresh."""
    now = time.time()
    people = {}
    for entry in cache.get(_key(request_id), {}).values():
        if now - entry["seen"] > TTL:
            continue
        current = people.setdefault(
            entry["user_id"], {"user_id": entry["user_id"], "name": entry["name"], "composing": ""}
        )
        if entry.get("composing") and entry.get("until", 0) > now:
            current["composing"] = entry["composing"]
    return sorted(people.values(), key=lambda p: p["name"])
