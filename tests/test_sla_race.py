"""On PostgreSQL: two workers racing over 1,000 due clocks fire every step exactly once."""

import logging
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Count

from helpdesk.models import Event
from tests.test_sla_clocks import FRIDAY_4PM, H, make_ladder, make_policy, office_calendar
from workflows import actions
from workflows.models import Clock, FiredStep
from workflows.sla import engine

ITEMS = 1000


def worker(now, barrier, tally, errors):
    try:
        barrier.wait()
        while True:
            looked_at, fired = engine.sweep(now=now)
            tally.append(fired)
            if not looked_at:
                return
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_workers_fire_every_step_exactly_once(requires_postgres, customer, departments, caplog):
    office_calendar()
    make_policy(
        first_response=H,
        next_response=None,
        resolution=None,
        answer=None,
        warn_percent=100,
        ladder=make_ladder({"percent": 100, "raise_priority": True}),
    )
    with time_machine.travel(FRIDAY_4PM, tick=False):
        requests = [
            actions.open_request(
                customer=customer,
                subject=f"Item {n}",
                body="...",
                department=departments["support"],
            )
            for n in range(ITEMS)
        ]
    # Every clock now has its breach and a ladder step overdue: the workers were down for days.
    later = FRIDAY_4PM + timedelta(days=4)
    assert engine.due_clocks(later).count() == ITEMS

    barrier = threading.Barrier(2)
    tallies, errors = ([], []), []
    threads = [
        threading.Thread(target=worker, args=(later, barrier, tallies[i], errors)) for i in range(2)
    ]
    caplog.set_level(logging.WARNING, logger="workflows.sla.engine")
    with time_machine.travel(later, tick=False):  # patches the clock in every thread
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert caplog.records == []  # no step even tried to fire twice (no unique-key collision)
    assert sum(map(sum, tallies)) == 2 * ITEMS
    assert FiredStep.objects.count() == ITEMS
    assert engine.due_clocks(later).count() == 0
    by_type = Counter(
        Event.objects.filter(type__in=("sla_step", "sla_breached", "priority_changed")).values_list(
            "type", flat=True
        )
    )
    assert by_type == {"sla_step": ITEMS, "sla_breached": ITEMS, "priority_changed": ITEMS}
    # Each request's log is still gapless and in trigger order.
    for request in requests[:50]:
        log = list(Event.objects.filter(request=request).values_list("seq", "type"))
        assert [seq for seq, _ in log] == list(range(1, len(log) + 1))
        assert [t for _, t in log] == [
            "request_opened",
            "sla_breached",
            "priority_changed",
            "sla_step",
        ]
    assert not Clock.objects.annotate(n=Count("fired_steps")).exclude(n=1).exists()
