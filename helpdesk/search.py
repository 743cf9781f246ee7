"""Search requests by subject and by every message written on them.

On PostgreSQL this is full-text search (stemmed, so "refunds" finds "refund"), served by the
GIN expression indexes of migration 0002: `request_document()` and `message_document()` must
stay the expressions indexed there, or PostgreSQL falls back to reading every row. Elsewhere
(the embedded SQLite default) it is a plain case-insensitive substring match.
"""

import json

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Exists, OuterRef, Q

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

    How depends on how many requests mention it. Unless PostgreSQL estimates MANY, the first
    FEW + 1 hits are read through the indexes (one UNION ALL of the parts, which stops reading
    early). A search with no more is narrowed to those of its hits that are in the queue, found
    first without ordering: left to order and limit the page itself, PostgreSQL walks the queue
    newest first hoping to meet the hits soon, and reads all of it when they are far back or in
    other queues. A common word has tens of thousands of hits: if a sample shows it common in
    this queue too (`_common`), the queue is read in its own order testing each row, which
    stops as soon as a page is full; if not, the queue is joined with all of its hits.
    """
    text = (text or "").strip()[:MAX_LENGTH]
    if not text:
        return queryset
    number = text.removeprefix("#")
    number = int(number) if number.isdigit() and len(number) <= MAX_ID_DIGITS else None
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    parts = _full_text(query) if settings.IS_POSTGRES else _substring(text)
    if number is not None:
        parts.append(Request.objects.filter(pk=number).values_list("pk", flat=True))
    parts = [part.order_by() for part in parts]  # a part of a UNION cannot be ordered
    hits = parts[0].union(*parts[1:], all=True)
    if not (settings.IS_POSTGRES and _estimated_rows(hits) > MANY):
        first = list(hits[: FEW + 1])
        if len(first) <= FEW:
            in_queue = queryset.filter(pk__any=set(first)).order_by().values_list("pk", flat=True)
            return queryset.filter(pk__any=list(in_queue))
    if settings.IS_POSTGRES and _common(queryset, query, number):
        return queryset.alias(document=request_document()).filter(_row_test(query, number))
    return queryset.filter(pk__in=parts[0].union(*parts[1:]))


FEW = 5_000
# PostgreSQL's estimate of the hits (from the statistics of the indexed expressions, about
# 2 ms to plan) above which reading the first FEW + 1 is skipped: a GIN index gives no hit
# before it has found them all, so reading 5,001 of a common word's 30,000 took 25-50 ms only
# to learn that there are more. The estimate would have to be four times too high to skip a
# search that had few.
MANY = 4 * FEW
# At least COMMON of the queue's newest SAMPLE requests match: reading the queue in order then
# finds a page of 50 within about 500 rows (testing a row costs about 0.1 ms; the sample stops
# at its COMMONth match).
SAMPLE = 100
COMMON = 10


def _estimated_rows(queryset):
    return json.loads(queryset.explain(format="json"))[0]["Plan"]["Plan Rows"]


def _common(queryset, query, number):
    newest = queryset.order_by("-pk").values("pk")[:SAMPLE]
    tested = Request.objects.alias(document=request_document()).filter(pk__in=newest)
    return tested.filter(_row_test(query, number)).order_by()[:COMMON].count() >= COMMON


def _row_test(query, number):
    """Does a request (aliased `document`) mention the query, in itself or in a message?"""
    in_messages = (
        Message.objects.filter(request=OuterRef("pk"))
        .alias(document=message_document())
        .filter(document=query)
    )
    test = Q(document=query) | Exists(in_messages)
    return test | Q(pk=number) if number is not None else test


def _full_text(query):
    return [
        Request.objects.alias(document=request_document())
        .filter(document=query)
        .values_list("pk", flat=True),
        Message.objects.alias(document=message_document())
        .filter(document=query)
        .values_list("request_id", flat=True),
    ]


def _substring(text):
    return [
        Request.objects.filter(Q(subject__icontains=text) | Q(body__icontains=text)).values_list(
            "pk", flat=True
        ),
        Message.objects.filter(body__icontains=text).values_list("request_id", flat=True),
    ]
