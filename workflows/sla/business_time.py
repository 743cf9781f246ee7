"""Business-time arithmetic: pure functions over a weekly timetable, a time zone and closed days.

Opening intervals are built in local wall time and compared as UTC instants, so a day that
springs forward or falls back counts the real seconds it was open, and `add` and `between`
agree with each other exactly (between(start, add(start, d)) == d) whatever the DST rules.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
DAY_MINUTES = 24 * 60
# A timetable with no opening at all (or years of closures) would loop forever.
MAX_DAYS = 366 * 5

Interval = tuple[int, int]  # minutes after local midnight, end exclusive, 0 <= start < end <= 1440


def merge(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sort and join overlapping or touching intervals so no second is counted twice."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if not 0 <= start < end <= DAY_MINUTES:
            raise ValueError(f"Bad opening interval {start}-{end} (minutes after midnight).")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def interval_of(opens: time, closes: time) -> Interval:
    """A closing time of 00:00 means midnight at the end of the day."""
    end = minutes(closes) or DAY_MINUTES
    return (minutes(opens), end)


def never_closed(day: date) -> bool:
    return False


@dataclass(frozen=True)
class Schedule:
    """When a department is open: a weekly timetable (Monday first) in a time zone, minus closed
    days (public holidays, custom closures)."""

    tz: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]
    is_closed: Callable[[date], bool] = never_closed

    def __post_init__(self):
        if len(self.weekly) != 7:
            raise ValueError("A weekly timetable has seven days.")
        if not any(self.weekly):
            raise ValueError("A business calendar must be open at some time of the week.")

    def _open_periods(self, start: datetime):
        """Opening periods as UTC instants, in order and never overlapping, from the local day
        containing `start` on. Local times inside a spring-forward gap can map behind the
        previous period's end; clipping at the running cursor keeps each second counted once."""
        day = start.astimezone(self.tz).date()
        cursor = start.astimezone(UTC)
        idle_days = 0
        while idle_days < MAX_DAYS:
            idle_days += 1
            if not self.is_closed(day):
                midnight = datetime.combine(day, time.min, tzinfo=self.tz)
                for first, last in self.weekly[day.weekday()]:
                    # Wall-clock arithmetic on purpose: 09:00 is 09:00 local on a DST day too.
                    opens = max((midnight + timedelta(minutes=first)).astimezone(UTC), cursor)
                    closes = (midnight + timedelta(minutes=last)).astimezone(UTC)
                    if closes > opens:
                        yield opens, closes
                        cursor, idle_days = closes, 0
            day += timedelta(days=1)
        raise ValueError(f"No opening time within {MAX_DAYS} days after {cursor.isoformat()}.")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of business time has passed since `start`."""
        if duration < ZERO:
            raise ValueError("Business time only moves forwards.")
        start = start.astimezone(UTC)
        if duration == ZERO:
            return start
        left = duration
        for opens, closes in self._open_periods(start):
            if opens + left <= closes:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable: _open_periods raises first")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero when end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = ZERO
        if end <= start:
            return total
        for opens, closes in self._open_periods(start):
            if opens >= end:
                return total
            total += min(closes, end) - opens
        raise AssertionError("unreachable: _open_periods raises first")


def always_open(tz: ZoneInfo) -> Schedule:
    """No calendar configured: targets count in plain hours, like most help desks do."""
    return Schedule(tz=tz, weekly=(((0, DAY_MINUTES),),) * 7)
