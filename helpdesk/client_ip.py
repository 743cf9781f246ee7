"""The client's address for rate limits, also behind reverse proxies.

Each proxy appends the address it received the connection from to X-Forwarded-For, and the
last one is REMOTE_ADDR. With NUCLEUS_TRUSTED_PROXIES = N proxies in front, the N-th entry from
the right is the client as the outermost proxy saw it; entries to its left came from the client
and can say anything, so they are never used. With 0 (the default), the header is ignored.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    """django-ratelimit calls this (RATELIMIT_IP_META_KEY); so does the API's throttle."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.NUCLEUS_TRUSTED_PROXIES
    if not hops:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < hops:
        # Fewer entries than the proxies would have written: it did not come through them all,
        # so the nearest peer is the best we know.
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
