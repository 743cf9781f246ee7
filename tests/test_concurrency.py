"""Twenty threads race on one request (PostgreSQL): one wins each conflicting race, the others
get Conflict, and the event log stays gapless: seqs are exactly 1..N."""

import threading

import pytest
from django.db import connection

from helpdesk.models import DepartmentTask, Event, Request
from workflows import actions
from workflows.errors import Conflict
from workflows.states import RequestStatus, TaskStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "fast_passwords"),
]

THREADS = 20


def race(work, count=THREADS):
    """Run work(i) in `count` threads released at once; each slot holds a result or an error."""
    barrier = threading.Barrier(count, timeout=60)
    results = [None] * count

    def run(i):
        try:
            connection.ensure_connection()  # connect first, so the race is about the lock
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def split(results):
    """(winners, conflicts); anything else that went wrong fails the test."""
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    return (
        [r for r in results if not isinstance(r, Exception)],
        [r for r in results if isinstance(r, Conflict)],
    )


def log_of(request):
    return list(Event.objects.filter(request=request).order_by("seq").values_list("seq", "type"))


def assert_exactly_gapless(request):
    request.refresh_from_db()
    seqs = [seq for seq, _ in log_of(request)]
    assert seqs == list(range(1, request.last_event_seq + 1))


@pytest.fixture
def agents(make_staff):
    return [make_staff(f"agent{i}") for i in range(THREADS)]


@pytest.fixture
def clerks(make_staff):
    return [make_staff(f"clerk{i}", dept="finance", role="back_office") for i in range(THREADS)]


def test_twenty_agents_resolve_at_once_one_wins(request_in, agents):
    request = request_in("open")
    seq = request.last_event_seq

    winners, conflicts = split(race(lambda i: actions.resolve(request.pk, agents[i])))

    assert len(winners) == 1
    assert len(conflicts) == THREADS - 1
    assert all(c.current_state == RequestStatus.RESOLVED for c in conflicts)
    assert all(c.allowed == ["close", "reopen"] for c in conflicts)
    assert [t for s, t in log_of(request) if s > seq] == ["status_changed"]
    assert_exactly_gapless(request)


def test_twenty_clerks_claim_one_task_one_wins(request_in, agent, clerks, departments):
    request = request_in("open")
    task = actions.hand_off(
        request.pk, agent, department=departments["finance"], instructions="Refund order 42."
    )
    seq = Request.objects.get(pk=request.pk).last_event_seq

    winners, conflicts = split(race(lambda i: actions.claim_task(task.pk, clerks[i])))

    assert len(winners) == 1
    assert len(conflicts) == THREADS - 1
    assert all(c.current_state == TaskStatus.CLAIMED for c in conflicts)
    task.refresh_from_db()
    assert (task.status, task.assignee) == (TaskStatus.CLAIMED, winners[0].assignee)
    assert [t for s, t in log_of(request) if s > seq] == ["task_claimed"]
    assert_exactly_gapless(request)


def test_mixed_actions_from_the_same_page_one_wins(request_in, agents, departments):
    """Twenty people submit different forms all rendered at the same seq: the first to lock
    wins, the rest find the request moved on."""
    request = request_in("open")
    seq = request.last_event_seq
    forms = [
        lambda u: actions.reply(request.pk, u, "On it.", expected_seq=seq),
        lambda u: actions.resolve(request.pk, u, expected_seq=seq),
        lambda u: actions.hand_off(
            request.pk, u, department=departments["finance"], instructions="x", expected_seq=seq
        ),
        lambda u: actions.escalate(request.pk, u, reason="Late.", expected_seq=seq),
        lambda u: actions.assign(request.pk, u, u, expected_seq=seq),
    ]

    winners, conflicts = split(race(lambda i: forms[i % len(forms)](agents[i])))

    assert len(winners) == 1
    assert len(conflicts) == THREADS - 1
    assert DepartmentTask.objects.filter(request=request).count() <= 1
    assert_exactly_gapless(request)


def test_twenty_replies_at_once_all_land_in_order(request_in, agents):
    """No conflict here: every reply is written, each under its own sequence number."""
    request = request_in("open")
    seq = request.last_event_seq

    winners, conflicts = split(race(lambda i: actions.reply(request.pk, agents[i], f"#{i}")))

    assert (len(winners), len(conflicts)) == (THREADS, 0)
    written = [t for s, t in log_of(request) if s > seq]
    assert written.count("replied") == THREADS
    assert written.count("status_changed") == 1  # open -> waiting_on_customer, once
    assert_exactly_gapless(request)


def test_twenty_tasks_finishing_at_once_reopen_the_request_once(
    request_in, agent, clerks, departments
):
    request = request_in("open")
    tasks = [
        actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions=f"Part {i}"
        )
        for i in range(THREADS)
    ]
    seq = Request.objects.get(pk=request.pk).last_event_seq

    winners, _ = split(
        race(lambda i: actions.complete_task(tasks[i].pk, clerks[i], answer=f"Done {i}"))
    )

    assert len(winners) == THREADS
    written = [t for s, t in log_of(request) if s > seq]
    assert written == ["task_completed"] * THREADS + ["status_changed"]
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert_exactly_gapless(request)
