"""Brakes on the forms anyone may post: one tally per client address and one per address asked
about, so neither a single client nor many clients can flood one mailbox."""

from django_ratelimit.core import is_ratelimited


def posted(field):
    """A ratelimit key: the POSTed value of `field`, trimmed and lower-cased."""

    def key(group, request):
        return request.POST.get(field, "").strip().lower()

    return key


def over_limit(request, group, rates, field):
    """Count this attempt in every tally of `rates` ({"ip": rate, field: rate}); True when any
    is over its limit. Every tally counts, so stopping at the first cannot hide attempts."""
    verdicts = [
        is_ratelimited(
            request,
            group=f"{group}.{name}",
            key="ip" if name == "ip" else posted(field),
            rate=rate,
            increment=True,
        )
        for name, rate in rates.items()
    ]
    return any(verdicts)
