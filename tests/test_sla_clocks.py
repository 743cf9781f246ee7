"""Clocks follow the workflow events: start, stop, pause, resume and recompute."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from helpdesk.models import Priority
from workflows import actions
from workflows.models import (
    BusinessCalendar,
    Clock,
    EscalationLadder,
    EscalationStep,
    Metric,
    SLAPolicy,
    WorkingHours,
)
from workflows.tasks import recompute_clocks

LONDON = ZoneInfo("Europe/London")
FRIDAY_4PM = datetime(2026, 11, 20, 16, tzinfo=LONDON)
MONDAY = datetime(2026, 11, 23, tzinfo=LONDON)
H = timedelta(hours=1)


# Helpers shared by the SLA test modules ---------------------------------------------------


def office_calendar(department=None, *, tz="Europe/London", country="GB", name=None):
    """Monday to Friday, 09:00-17:00, with the country's public holidays."""
    calendar = BusinessCalendar.objects.create(
        name=name or (f"{department} hours" if department else "Office hours"),
        department=department,
        time_zone=tz,
        country=country,
        subdivision="ENG" if country == "GB" else "",
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, opens=time(9), closes=time(17))
        for day in range(5)
    )
    return calendar


def make_ladder(*steps, name="Standard ladder"):
    ladder = EscalationLadder.objects.create(name=name)
    for fields in steps:
        users = fields.pop("notify_users", [])
        step = EscalationStep.objects.create(ladder=ladder, **fields)
        step.notify_users.set(users)
    return ladder


def make_policy(name="Standard", **fields):
    fields.setdefault("first_response", 2 * H)
    fields.setdefault("next_response", 4 * H)
    fields.setdefault("resolution", 16 * H)
    fields.setdefault("answer", 4 * H)
    return SLAPolicy.objects.create(name=name, **fields)


def clock_of(request, metric, **filters):
    return Clock.objects.filter(request=request, metric=metric, **filters).latest("pk")


def local(dt):
    return dt.astimezone(LONDON)


# Tests -------------------------------------------------------------------------------------


@pytest.fixture
def office(departments):
    return office_calendar()


@pytest.fixture
def policy(office):
    return make_policy()


def open_at(moment, customer, departments, **kwargs):
    with time_machine.travel(moment, tick=False):
        return actions.open_request(
            customer=customer,
            subject="Broken pump",
            body="It leaks.",
            department=departments["support"],
            **kwargs,
        )


def test_no_policy_no_clock(customer, departments):
    request = open_at(FRIDAY_4PM, customer, departments)
    assert not Clock.objects.filter(request=request).exists()


def test_opening_starts_first_response_and_resolution_in_business_time(
    policy, customer, departments
):
    request = open_at(FRIDAY_4PM, customer, departments)
    first = clock_of(request, Metric.FIRST_RESPONSE)
    resolution = clock_of(request, Metric.RESOLUTION)
    assert first.state == resolution.state == Clock.State.RUNNING
    # Two business hours from Friday 16:00: one on Friday, one on Monday morning.
    assert local(first.due_at) == MONDAY + 10 * H
    assert local(first.warn_at) == MONDAY + 9.5 * H  # 75%
    assert first.next_step_at == first.warn_at  # the warning milestone comes first
    assert local(resolution.due_at) == MONDAY + timedelta(days=1) + 16 * H


def test_conversation_stops_pauses_and_resumes_clocks(policy, customer, departments, agent):
    request = open_at(FRIDAY_4PM, customer, departments)
    with time_machine.travel(MONDAY + 9.5 * H, tick=False):
        actions.reply(request.pk, agent, "Which model is it?")
    first = clock_of(request, Metric.FIRST_RESPONSE)
    resolution = clock_of(request, Metric.RESOLUTION)
    assert first.state == Clock.State.STOPPED
    assert first.used == 1.5 * H and first.breached_at is None
    assert resolution.state == Clock.State.PAUSED
    assert resolution.used == 1.5 * H and resolution.next_step_at is None

    # The customer answers at 14:00: resolution resumes, a next-response clock starts.
    with time_machine.travel(MONDAY + 14 * H, tick=False):
        actions.customer_reply(request.pk, request.customer, "Model X2.")
    resolution.refresh_from_db()
    assert resolution.state == Clock.State.RUNNING and resolution.used == 1.5 * H
    assert local(resolution.due_at) == MONDAY + timedelta(days=2) + 12.5 * H
    next_response = clock_of(request, Metric.NEXT_RESPONSE)
    assert local(next_response.due_at) == MONDAY + timedelta(days=1) + 10 * H

    with time_machine.travel(MONDAY + 15 * H, tick=False):
        actions.reply(request.pk, agent, "Thanks, a new seal is on its way.")
        actions.resolve(request.pk, agent)
    resolution.refresh_from_db()
    assert resolution.state == Clock.State.STOPPED and resolution.used == 2.5 * H
    assert clock_of(request, Metric.NEXT_RESPONSE).state == Clock.State.STOPPED

    # Reopening resumes the same resolution clock with the time it had used.
    with time_machine.travel(MONDAY + timedelta(days=1) + 10 * H, tick=False):
        actions.reopen(request.pk, agent, reason="Still leaking")
    resolution.refresh_from_db()
    assert resolution.state == Clock.State.RUNNING and resolution.used == 2.5 * H
    assert Clock.objects.filter(request=request, metric=Metric.RESOLUTION).count() == 1


def test_a_late_stop_is_recorded_as_a_breach(policy, customer, departments, agent):
    request = open_at(FRIDAY_4PM, customer, departments)
    with time_machine.travel(MONDAY + 12 * H, tick=False):
        actions.reply(request.pk, agent, "Sorry for the wait.")
    first = clock_of(request, Metric.FIRST_RESPONSE)
    assert first.used == 4 * H
    assert local(first.breached_at) == MONDAY + 10 * H


def test_task_clock_counts_in_the_task_departments_calendar(
    policy, customer, departments, agent, clerk
):
    office_calendar(departments["finance"], tz="America/New_York", country="US")
    request = open_at(FRIDAY_4PM, customer, departments)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        task = actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions="Refund?"
        )
    clock = Clock.objects.get(task=task)
    assert clock.metric == Metric.ANSWER and clock.department == departments["finance"]
    # Friday 16:00 London is 11:00 in New York: four hours end at 15:00 there the same day.
    assert clock.due_at == datetime(2026, 11, 20, 15, tzinfo=ZoneInfo("America/New_York"))
    # The request's resolution clock keeps running in support's (default) calendar.
    assert clock_of(request, Metric.RESOLUTION).state == Clock.State.RUNNING

    clerk_time = datetime(2026, 11, 20, 13, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(clerk_time, tick=False):
        actions.complete_task(task.pk, clerk, answer="Refunded.")
    clock.refresh_from_db()
    assert clock.state == Clock.State.STOPPED and clock.used == 2 * H


def test_priority_change_reselects_the_policy(policy, customer, departments, agent):
    make_policy(
        "Urgent",
        position=10,
        priority=Priority.URGENT,
        first_response=H / 2,
        next_response=None,
        resolution=None,
        answer=None,
    )
    request = open_at(FRIDAY_4PM, customer, departments)
    with time_machine.travel(FRIDAY_4PM + H / 4, tick=False):
        actions.change_priority(request.pk, agent, Priority.URGENT, reason="Line down")
    first = clock_of(request, Metric.FIRST_RESPONSE)
    assert first.policy.name == "Urgent"
    assert local(first.due_at) == FRIDAY_4PM + H / 2
    # The urgent policy sets no resolution target: the standard one still applies.
    assert clock_of(request, Metric.RESOLUTION).policy == policy


def test_a_policy_that_no_longer_applies_cancels_its_clocks(policy, customer, departments, agent):
    request = open_at(FRIDAY_4PM, customer, departments)
    policy.active = False
    policy.save()
    recompute_clocks.call()
    assert set(Clock.objects.filter(request=request).values_list("state", flat=True)) == {
        Clock.State.CANCELLED
    }


def test_transfer_moves_request_clocks_to_the_new_calendar(policy, customer, departments, agent):
    office_calendar(departments["finance"], tz="America/New_York", country="US")
    request = open_at(FRIDAY_4PM, customer, departments)
    with time_machine.travel(FRIDAY_4PM + H / 2, tick=False):
        actions.transfer(request.pk, agent, departments["finance"])
    first = clock_of(request, Metric.FIRST_RESPONSE)
    assert first.department == departments["finance"] and first.used == H / 2
    # 16:30 London = 11:30 New York; 1.5 business hours left there.
    assert first.due_at == datetime(2026, 11, 20, 13, tzinfo=ZoneInfo("America/New_York"))


def test_configuration_changes_enqueue_a_recompute(
    policy, customer, departments, django_capture_on_commit_callbacks
):
    request = open_at(FRIDAY_4PM, customer, departments)
    with django_capture_on_commit_callbacks(execute=True):
        WorkingHours.objects.filter(weekday=0).update(opens=time(8))  # no signal: bulk update
        hours = WorkingHours.objects.get(weekday=0)
        hours.save()
        WorkingHours.objects.create(
            calendar=hours.calendar, weekday=5, opens=time(10), closes=time(12)
        )
    pending = DBTaskResult.objects.filter(task_path="workflows.tasks.recompute_clocks")
    assert pending.count() == 1  # two changes, one recompute
    with time_machine.travel(FRIDAY_4PM + H, tick=False):
        recompute_clocks.call(**pending.get().args_kwargs["kwargs"])
    # Friday 16:00-17:00 used one hour; Saturday 10:00-11:00 now serves the second.
    saturday_11am = datetime(2026, 11, 21, 11, tzinfo=LONDON)
    assert clock_of(request, Metric.FIRST_RESPONSE).due_at == saturday_11am


def test_policy_changes_enqueue_one_recompute_for_everything(
    policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        policy.resolution = 8 * H
        policy.save()
        make_ladder({"percent": 50, "notify": "assignee"})
    pending = DBTaskResult.objects.filter(task_path="workflows.tasks.recompute_clocks")
    assert [p.args_kwargs["kwargs"] for p in pending] == [{"department_ids": None}]


def test_defaults_install_once_and_drive_clocks(customer, departments, agent):
    from workflows.sla.defaults import install_defaults

    assert install_defaults() is True
    assert install_defaults() is False
    assert SLAPolicy.objects.count() == 4
    request = open_at(FRIDAY_4PM, customer, departments, priority=Priority.URGENT)
    first = clock_of(request, Metric.FIRST_RESPONSE)
    assert first.policy.name == "Urgent"
    assert local(first.due_at) == FRIDAY_4PM + H  # 16:00-17:00, inside 09:00-17:30
    with time_machine.travel(FRIDAY_4PM, tick=False):
        task = actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions="Refund?"
        )
    assert Clock.objects.get(task=task).policy.name == "Urgent"  # position 10 beats finance's 50
