"""Search requests by subject and by every message written on them.

On PostgreSQL this is full-text search (stemmed, so "refunds" finds "refund"), served by the
GIN expression indexes of migration 0002: `document()` and `message_document()` must stay the
expressions indexed there, or PostgreSQL falls back to reading every row. Elsewhere (the
embedded SQLite default) it is a plain case-insensitive substring match.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q

from helpdesk.models import Message, Request

CONFIG = "english"
MAX_LENGTH = 200


def request_document():
    """The subject and the customer's opening message."""
    return SearchVector("subject", "body", config=CONFIG)


def message_document():
    return SearchVector("body", config=CONFIG)


def matching(queryset, text):
    """`queryset` narrowed to requests that mention `text`; "#42" or "42" also finds #42."""
    text = (text or "").strip()[:MAX_LENGTH]
    if not text:
        return queryset
    condition = _full_text(text) if settings.IS_POSTGRES else _substring(text)
    number = text.removeprefix("#")
    if number.isdigit():
        condition |= Q(pk=int(number))
    return queryset.filter(condition)


def _full_text(text):
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    in_requests = Request.objects.alias(document=request_document()).filter(document=query)
    in_messages = Message.objects.alias(document=message_document()).filter(document=query)
    return Q(pk__in=in_requests.values("pk")) | Q(pk__in=in_messages.values("request_id"))


def _substring(text):
    in_messages = Message.objects.filter(body__icontains=text).values("request_id")
    return Q(subject__icontains=text) | Q(body__icontains=text) | Q(pk__in=in_messages)
