"""Business-time arithmetic: properties across weekends, holidays, DST changes and time zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workflows.sla.business_time import DAY_MINUTES, Schedule, always_open, interval_of, merge

# Zones with DST both ways, half-hour offsets, a date-line zone and plain UTC.
ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "UTC",
]
GB = holidays.country_holidays("GB", subdiv="ENG")

intervals = st.lists(
    st.tuples(st.integers(0, DAY_MINUTES - 1), st.integers(1, DAY_MINUTES)).filter(
        lambda i: i[0] < i[1]
    ),
    max_size=3,
)


@st.composite
def schedules(draw):
    weekly = tuple(merge(draw(intervals)) for _ in range(7))
    assume(any(weekly))
    closed = draw(st.frozensets(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=40))
    use_holidays = draw(st.booleans())
    return Schedule(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        weekly=weekly,
        is_closed=lambda d: d in closed or (use_holidays and d in GB),
    )


instants = st.datetimes(datetime(2025, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
durations = st.timedeltas(timedelta(0), timedelta(days=20))


@settings(max_examples=300, deadline=None)
@given(schedules(), instants, durations)
def test_deadline_minus_start_is_the_target_in_business_time(schedule, start, target):
    deadline = schedule.add(start, target)
    assert deadline >= start
    assert schedule.between(start, deadline) == target


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, durations, durations)
def test_adding_in_two_parts_is_adding_once(schedule, start, first, second):
    assert schedule.add(schedule.add(start, first), second) == schedule.add(start, first + second)


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, st.timedeltas(timedelta(0), timedelta(days=30)), durations)
def test_business_time_never_exceeds_wall_time_and_splits(schedule, start, span, cut):
    end = start + span
    middle = min(start + cut, end)
    total = schedule.between(start, end)
    assert timedelta(0) <= total <= span
    assert total == schedule.between(start, middle) + schedule.between(middle, end)


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, st.timedeltas(timedelta(microseconds=1), timedelta(days=10)))
def test_the_deadline_falls_in_open_time(schedule, start, target):
    """Just before a deadline the clock was running: the last instant counted was open."""
    deadline = schedule.add(start, target)
    tick = timedelta(microseconds=1)
    assert schedule.between(deadline - tick, deadline) == tick


def london(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/London"))


OFFICE = Schedule(
    tz=ZoneInfo("Europe/London"),
    weekly=((interval_of(time(9), time(17)),),) * 5 + ((), ()),
    is_closed=lambda d: d in GB,
)


@pytest.mark.parametrize(
    ("start", "target", "deadline"),
    [
        # Friday 16:00 + 2h: one hour on Friday, one on Monday.
        (london(2026, 11, 20, 16), timedelta(hours=2), london(2026, 11, 23, 10)),
        # Saturday counts nothing: the clock starts on Monday at 09:00.
        (london(2026, 11, 21, 12), timedelta(hours=1), london(2026, 11, 23, 10)),
        # Christmas Eve 16:30 + 1h: Christmas, Boxing Day (observed Monday 28th) and the
        # weekend are closed.
        (london(2026, 12, 24, 16, 30), timedelta(hours=1), london(2026, 12, 29, 9, 30)),
        # The clocks go forward on Sunday 29 March 2026: 09:00-17:00 is still eight hours.
        (london(2026, 3, 27, 9), timedelta(hours=16), london(2026, 3, 30, 17)),
    ],
)
def test_office_hours_examples(start, target, deadline):
    assert OFFICE.add(start, target) == deadline
    assert OFFICE.between(start, deadline) == target


def test_a_day_that_falls_back_counts_its_25_hours():
    schedule = always_open(ZoneInfo("Europe/London"))
    start = london(2026, 10, 25)
    assert schedule.between(start, london(2026, 10, 26)) == timedelta(hours=25)


def test_a_spring_forward_gap_is_never_counted_twice():
    """01:00-02:00 does not exist on 29 March 2026 in London; 00:00-01:30 and 02:00-03:00 map to
    overlapping UTC spans, and the overlap counts once."""
    schedule = Schedule(
        tz=ZoneInfo("Europe/London"), weekly=(((0, 90), (120, 180)),) * 7, is_closed=lambda d: False
    )
    day = london(2026, 3, 29)
    assert schedule.between(day, day + timedelta(days=1) - timedelta(hours=1)) == timedelta(hours=2)


def test_a_calendar_without_opening_hours_is_refused():
    with pytest.raises(ValueError, match="open at some time"):
        Schedule(tz=ZoneInfo("UTC"), weekly=((),) * 7)


def test_closed_for_ever_is_an_error_not_a_hang():
    schedule = always_open(ZoneInfo("UTC"))
    closed = Schedule(tz=schedule.tz, weekly=schedule.weekly, is_closed=lambda d: True)
    with pytest.raises(ValueError, match="No opening time"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))
