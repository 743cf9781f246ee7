"""The sweep through a whole ladder: each step fires once, in order, live on the timeline."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from helpdesk.models import Event, Priority
from tests.test_sla_clocks import LONDON, MONDAY, H, make_ladder, make_policy, office_calendar
from workflows import actions
from workflows.models import Clock, FiredStep, Metric, Notification
from workflows.sla import engine
from workflows.sla.selectors import (
    badges_for_requests,
    badges_for_tasks,
    breaching_soon,
    tasks_breaching_soon,
)
from workflows.tasks import ensure_sweep_scheduled, sweep_sla

SLA_TYPES = ("sla_step", "sla_warning", "sla_breached")
FR = Metric.FIRST_RESPONSE


@pytest.fixture
def people(make_staff):
    return {
        "agent": make_staff("alice", email="alice@nucleus.example"),
        "lead": make_staff("lena", role="lead", email="lena@nucleus.example"),
        "manager": User.objects.create_user("max", email="max@nucleus.example"),
    }


@pytest.fixture
def ladder_policy(departments, people):
    """First response in 2 business hours; a three-step ladder on that metric only."""
    office_calendar()
    ladder = make_ladder(
        {"metric": FR, "percent": 50, "notify": "assignee"},
        {
            "metric": FR,
            "percent": 100,
            "set_level": 1,
            "raise_priority": True,
            "notify": "leads",
        },
        {
            "metric": FR,
            "after_breach": H,
            "set_level": 2,
            "reassign_to": people["lead"],
            "notify_users": [people["manager"]],
        },
    )
    return make_policy(ladder=ladder)


@pytest.fixture
def opened(ladder_policy, customer, departments, people):
    with time_machine.travel(MONDAY + 9 * H, tick=False):
        request = actions.open_request(
            customer=customer,
            subject="Pump leaks",
            body="Water everywhere.",
            department=departments["support"],
        )
        actions.assign(request.pk, people["agent"], people["agent"])
    return request


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return engine.sweep()


def sla_events(request):
    events = Event.objects.filter(request=request, type__in=SLA_TYPES)
    return [(e.type, e.payload.get("step")) for e in events]


def test_a_whole_ladder_fires_each_step_once_in_order(
    opened, people, django_capture_on_commit_callbacks, mailoutbox
):
    request = opened
    timeline = [
        (9 * H + 59 * 60 * timedelta(seconds=1), []),
        (10 * H, [("sla_step", "50% of target")]),
        (10.25 * H, []),
        (10.5 * H, [("sla_warning", None)]),
        (11 * H, [("sla_breached", None), ("sla_step", "100% of target")]),
        (11.5 * H, []),
        (12 * H, [("sla_step", "1h past breach")]),
        (16 * H, []),
    ]
    seen = []
    for offset, expected in timeline:
        with django_capture_on_commit_callbacks(execute=True):
            sweep_at(MONDAY + offset)
            sweep_at(MONDAY + offset)  # a second pass at the same moment fires nothing
        seen += expected
        assert sla_events(request) == seen, offset

    request.refresh_from_db()
    assert request.escalation_level == 2
    assert request.priority == Priority.HIGH
    assert request.assignee == people["lead"]
    assert FiredStep.objects.filter(clock__request=request).count() == 3
    # Each step's event follows the actions it caused and says what happened.
    log = [(e.type, e.payload.get("text", "")) for e in Event.objects.filter(request=request)]
    assert [t for t, _ in log[3:]] == [
        "sla_step",
        "sla_warning",
        "sla_breached",
        "escalated",
        "priority_changed",
        "sla_step",
        "escalated",
        "assigned",
        "sla_step",
    ]
    assert log[3][1] == f"#{request.pk} Pump leaks — First response: 50% of target — notified Alice"
    assert log[-1][1].endswith("escalated to level 2; reassigned to Lena; notified max")
    notified = {(n.user.username, n.link) for n in Notification.objects.all()}
    assert notified == {(name, f"/console/r/{request.pk}/") for name in ("alice", "lena", "max")}
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@nucleus.example",
        "lena@nucleus.example",
        "max@nucleus.example",
    ]


def test_a_worker_stopped_for_a_day_catches_up_once_in_order(opened):
    request = opened
    assert sweep_at(MONDAY + timedelta(days=1) + 9 * H) == (1, 4)
    assert sla_events(request) == [
        ("sla_step", "50% of target"),
        ("sla_breached", None),  # the stale warning is folded into the breach
        ("sla_step", "100% of target"),
        ("sla_step", "1h past breach"),
    ]
    clock = Clock.objects.get(request=request, metric=FR)
    assert clock.breached_at.astimezone(LONDON) == MONDAY + 11 * H
    assert clock.next_step_at is None and clock.state == Clock.State.RUNNING
    due = [f.due_at.astimezone(LONDON) for f in FiredStep.objects.filter(clock=clock)]
    assert due == [MONDAY + 10 * H, MONDAY + 11 * H, MONDAY + 12 * H]
    # The resolution clock is not due until Tuesday 13:00 (12 business hours): untouched.
    assert sweep_at(MONDAY + timedelta(days=1) + 12 * H) == (0, 0)
    assert sweep_at(MONDAY + timedelta(days=1) + 13 * H)[1] == 1


def test_a_crash_between_steps_loses_nothing_and_repeats_nothing(opened):
    request = opened
    real_notify = engine.notify
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(kwargs["event_type"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_notify(*args, **kwargs)

    with mock.patch.object(engine, "notify", crash_on_second):
        sweep_at(MONDAY + 13 * H)
    # The first step committed; the second rolled back whole (nothing of it is left).
    assert sla_events(request) == [("sla_step", "50% of target")]
    assert FiredStep.objects.filter(clock__request=request).count() == 1
    sweep_at(MONDAY + 13 * H)
    assert sla_events(request) == [
        ("sla_step", "50% of target"),
        ("sla_breached", None),
        ("sla_step", "100% of target"),
        ("sla_step", "1h past breach"),
    ]
    request.refresh_from_db()
    assert request.escalation_level == 2


def test_answering_in_time_fires_nothing(opened, people):
    with time_machine.travel(MONDAY + 9.5 * H, tick=False):
        actions.reply(opened.pk, people["agent"], "On it.")
    assert sweep_at(MONDAY + 12 * H) == (0, 0)
    assert sla_events(opened) == []


def test_a_refused_step_effect_is_reported_not_fatal(opened, people):
    people["lead"].memberships.all().delete()  # the reassignment target left support
    sweep_at(MONDAY + 13 * H)
    last = Event.objects.filter(request=opened, type="sla_step").last()
    assert last.payload["outcomes"] == [
        "escalated to level 2",
        "reassignment refused: lena does not work requests for Support.",
        "notified max",
    ]
    assert FiredStep.objects.filter(clock__request=opened).count() == 3


# Selectors and the badge partial ---------------------------------------------------------------


def test_badges_cost_constant_queries_and_tell_the_state(
    ladder_policy, customer, departments, people, make_staff
):
    office_calendar(departments["finance"], tz="America/New_York", country="US")
    requests = []
    with time_machine.travel(MONDAY + 9 * H, tick=False):
        for n in range(4):
            requests.append(
                actions.open_request(
                    customer=customer,
                    subject=f"Request {n}",
                    body="...",
                    department=departments["support" if n % 2 else "finance"],
                )
            )
        task = actions.hand_off(
            requests[1].pk, people["agent"], department=departments["finance"], instructions="?"
        )
    with time_machine.travel(MONDAY + 9.25 * H, tick=False):
        actions.reply(requests[3].pk, people["agent"], "Need your serial number.")
    moment = MONDAY + 10.75 * H
    badges_for_requests(requests, now=moment)  # compile the calendars once
    with CaptureQueriesContext(connection) as one:
        badges_for_requests(requests[:1], now=moment)
    with CaptureQueriesContext(connection) as many:
        badges = badges_for_requests(requests, now=moment)
    assert len(one) == len(many) == 2

    support = badges[requests[1].pk]
    assert (support.state, support.metric) == ("warning", FR)
    assert support.left == H / 4 and support.label == "15m left"
    # Finance opened at 09:00 London = 04:00 New York: its day has not started.
    assert badges[requests[0].pk].state == "ok" and badges[requests[0].pk].left == 2 * H
    # The first response was given; resolution is paused while the customer answers.
    assert badges[requests[3].pk].state == "paused"
    later = badges_for_requests(requests, now=MONDAY + 12 * H)
    assert later[requests[1].pk].state == "breached"
    assert later[requests[1].pk].label == "1h over"

    task_badge = badges_for_tasks([task], now=moment)[task.pk]
    assert task_badge.metric == Metric.ANSWER and task_badge.state == "ok"

    html = render_to_string("partials/sla.html#sla_badge", {"badge": support})
    assert "sla-warning" in html and "First response: 15m left" in html
    assert render_to_string("partials/sla.html#sla_badge", {"badge": None}).strip() == ""

    with time_machine.travel(moment, tick=False):
        soon = list(breaching_soon(people["agent"]))
        assert [r.pk for r in soon] == [requests[1].pk]
        assert soon[0].sla_due_at.astimezone(LONDON) == MONDAY + 11 * H
        clerk = make_staff("fiona", dept="finance", role="back_office")
        assert list(breaching_soon(clerk)) == []
        assert list(tasks_breaching_soon(clerk)) == []
    with time_machine.travel(MONDAY + 17 * H, tick=False):
        assert [t.pk for t in tasks_breaching_soon(clerk)] == [task.pk]


# Background tasks and the command ---------------------------------------------------------------


def sweeps_pending():
    return DBTaskResult.objects.filter(task_path="workflows.tasks.sweep_sla", status="READY")


def test_the_sweep_keeps_itself_scheduled(opened):
    ensure_sweep_scheduled()
    ensure_sweep_scheduled()
    assert sweeps_pending().count() == 1
    sweeps_pending().delete()
    with time_machine.travel(MONDAY + 10 * H, tick=False):
        assert sweep_sla.call() == {"clocks": 1, "fired": 1}
    (following,) = sweeps_pending()
    assert following.run_after.astimezone(LONDON) == MONDAY + 10 * H + timedelta(seconds=10)


def test_the_sweep_command_runs_one_pass(opened, capsys):
    with time_machine.travel(datetime(2026, 11, 23, 10, 30, tzinfo=LONDON), tick=False):
        call_command("sla_sweep")
    assert "2 step(s) fired" in capsys.readouterr().out


def test_notifications_list_and_read(opened, people):
    from workflows.actions.sla import mark_notifications_read
    from workflows.sla.selectors import notifications_for

    sweep_at(MONDAY + 13 * H)
    latest, unread = notifications_for(people["agent"])
    assert unread == 1 and "50% of target" in latest[0].text
    step = Event.objects.filter(request=opened, type="sla_step").first()
    assert step.payload["notified_user_ids"] == [people["agent"].pk]
    assert mark_notifications_read(people["agent"]) == 1
    assert notifications_for(people["agent"])[1] == 0
    assert notifications_for(people["lead"])[1] == 1  # someone else's stay unread


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_the_job_worker_runs_the_sweep(opened):
    """What `manage.py serve` starts: the scheduled sweep runs on django-tasks' db_worker."""
    ensure_sweep_scheduled()
    with time_machine.travel(MONDAY + 13 * H, tick=False):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert len(sla_events(opened)) == 4
    finished = DBTaskResult.objects.get(task_path="workflows.tasks.sweep_sla", status="SUCCESSFUL")
    assert finished.return_value == {"clocks": 1, "fired": 4}
    assert sweeps_pending().count() == 1  # the next pass, ten seconds on
