"""Search requests by subject and by every message written on them.

On PostgreSQL this is full-text search (stemmed, so "refunds" finds "refund"), served by the
GIN expression indexes of migration 0002: `request_document()` and `message_document()` must
stay the expressions indexed there, or PostgreSQL falls back to reading every row. Elsewhere
(the embedded SQLite default) it is a plain case-insensitive substring match.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q

from helpdesk.models import Message, Request

CONFIG = "english"
MAX_LENGTH = 200
MAX_ID_DIGITS = 18  # a bigint


def request_document():
    """The subject and the customer's opening message."""
    return SearchVector("subject", "body", config=CONFIG)


def message_document():
    return SearchVector("body", config=CONFIG)


def matching(queryset, text):
    """`queryset` narrowed to requests that mention `text`; "#42" or "42" also finds #42.

    One `pk IN (hits UNION hits ...)`: each part is read through its own index and the hits
    are joined, so the cost follows the number of hits. Parts joined by OR cannot be
    estimated, and PostgreSQL then walks the whole queue in order probing every row.
    """
    text = (text or "").strip()[:MAX_LENGTH]
    if not text:
        return queryset
    parts = _full_text(text) if settings.IS_POSTGRES else _substring(text)
    number = text.removeprefix("#")
    if number.isdigit() and len(number) <= MAX_ID_DIGITS:
        parts.append(Request.objects.filter(pk=int(number)).values("pk"))
    parts = [part.order_by() for part in parts]  # a part of a UNION cannot be ordered
    hits = parts[0].union(*parts[1:])
    return queryset.filter(pk__in=hits)


def _full_text(text):
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    return [
        Request.objects.alias(document=request_document()).filter(document=query).values("pk"),
        Message.objects.alias(document=message_document())
        .filter(document=query)
        .values("request_id"),
    ]


def _substring(text):
    return [
        Request.objects.filter(Q(subject__icontains=text) | Q(body__icontains=text)).values("pk"),
        Message.objects.filter(body__icontains=text).values("request_id"),
    ]
