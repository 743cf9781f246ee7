"""Keyset pagination for the live lists: "next page" continues after the last row shown.

OFFSET makes the database walk every skipped row and lets rows slip between pages while a
live list reorders; a cursor of the last row's (time, id) asks the index for "older than
this" and costs the same on the first page and the thousandth.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str = ""


def encode(moment, pk):
    """Whole microseconds, so the cursor names the exact row the database stored."""
    return f"{(moment - EPOCH) // MICROSECOND}.{pk}"


def decode(cursor):
    """(moment, pk), or None for a missing or mangled cursor: that shows the first page."""
    try:
        micros, pk = (int(part) for part in cursor.split("."))
        return EPOCH + micros * MICROSECOND, pk
    except (AttributeError, ValueError, OverflowError):
        return None


def keyset_page(queryset, cursor, *, key, size, newest_first=True):
    """Rows ordered by (key, pk) after `cursor`: one query, plus the queryset's prefetches.

    `key` is a non-null datetime column or annotation; pk breaks ties between equal times.
    """
    if newest_first:
        rows, after = queryset.order_by(f"-{key}", "-pk"), "lt"
    else:
        rows, after = queryset.order_by(key, "pk"), "gt"
    position = decode(cursor)
    if position is not None:
        moment, pk = position
        beyond = Q(**{f"{key}__{after}": moment}) | Q(**{key: moment, f"pk__{after}": pk})
        # The redundant bound is what an index can seek to: the OR alone makes PostgreSQL
        # walk the index from the top and filter every row before the cursor.
        rows = rows.filter(Q(**{f"{key}__{after}e": moment}) & beyond)
    rows = list(rows[: size + 1])
    if len(rows) <= size:
        return Page(rows)
    rows = rows[:size]
    return Page(rows, encode(getattr(rows[-1], key), rows[-1].pk))


def before_seq(params):
    """The `before` of a "show earlier" link, a sequence number; ValueError names the fault."""
    value = params.get("before", "")
    if not value.isdigit() or len(value) > 18:
        raise ValueError("'before' must be the sequence number of an entry shown.")
    return int(value)
