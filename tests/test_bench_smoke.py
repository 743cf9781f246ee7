"""The bench harness keeps working: tiny data sets are consistent, reports are well formed.

No timings are asserted: the point is that the generated data is what the workflow actions
would have written, and that every figure carries the keys the report promises.
"""

import importlib.machinery
import json
import sys
import types
from collections import defaultdict

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from bench import datagen, report
from bench.datagen.lifecycle import REQUEST_MOVES
from helpdesk.models import DepartmentTask, Event, Message, Request
from workflows import permissions
from workflows.states import ACTIVE_TASK_STATES, RequestStatus

TINY = datagen.Scale(organisations=5, customers=40, requests=120, events=1_200)


@pytest.fixture
def dataset(db):
    return datagen.generate(TINY, seed=7, log=lambda *_: None)


def test_counts_match_what_was_written(dataset):
    assert dataset["requests"] == Request.objects.count() == TINY.requests
    assert dataset["events"] == Event.objects.count()
    assert dataset["messages"] == Message.objects.count()
    assert dataset["tasks"] == DepartmentTask.objects.count()
    assert sum(dataset["by_status"].values()) == TINY.requests
    assert datagen.count()["by_status"] == dataset["by_status"]


def test_every_request_reads_like_the_workflows_wrote_it(dataset):
    events = defaultdict(list)
    for event in Event.objects.order_by("request_id", "seq"):
        events[event.request_id].append(event)
    messages = {m.pk: m for m in Message.objects.all()}
    tasks = {t.pk: t for t in DepartmentTask.objects.all()}
    referenced_messages = []
    for request in Request.objects.all():
        log = events[request.pk]
        assert [e.seq for e in log] == list(range(1, request.last_event_seq + 1))
        assert log[0].type == "request_opened"
        times = [e.created_at for e in log]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert request.created_at <= times[0] and request.updated_at >= times[-1]
        status = RequestStatus.NEW
        for change in (e.payload for e in log if e.type == "status_changed"):
            assert change["old"] == status
            assert any(REQUEST_MOVES[name].get(status) == change["new"] for name in REQUEST_MOVES)
            status = change["new"]
        assert request.status == status
        assignments = [e.payload["assignee_id"] for e in log if e.type == "assigned"]
        assert request.assignee_id == (assignments[-1] if assignments else None)
        levels = [e.payload["new"] for e in log if e.type in ("escalated", "deescalated")]
        assert request.escalation_level == (levels[-1] if levels else 0)
        assert (request.resolved_at is not None) == any(
            e.type == "status_changed" and e.payload["new"] == "resolved" for e in log
        )
        for event in log:
            if "message_id" in event.payload:
                assert messages[event.payload["message_id"]].request_id == request.pk
                referenced_messages.append(event.payload["message_id"])
            if "task_id" in event.payload:
                assert tasks[event.payload["task_id"]].request_id == request.pk
            assert event.is_public == (event.type in PUBLIC_TYPES)
        active = [
            t
            for t in tasks.values()
            if t.request_id == request.pk and t.status in ACTIVE_TASK_STATES
        ]
        assert bool(active) == (request.status == RequestStatus.WAITING_ON_DEPARTMENT)
    assert sorted(referenced_messages) == sorted(messages)


PUBLIC_TYPES = {"request_opened", "status_changed", "replied", "customer_replied"}
# Who may have written each event, by the rules the actions check (workflows.permissions).
ALLOWED = {
    "replied": permissions.can_work_request,
    "assigned": permissions.can_work_request,
    "task_created": permissions.can_work_request,
    "task_cancelled": permissions.can_work_request,
    "escalated": permissions.can_work_request,
    "priority_changed": permissions.can_work_request,
    "reopen": permissions.can_work_request,
    "note_added": permissions.can_view_request,
    "deescalated": permissions.can_lead_request,
}
TASK_WORK = {"task_claimed", "task_completed", "task_returned"}


def test_every_event_was_written_by_someone_allowed_to(dataset):
    users = {u.pk: u for u in User.objects.all()}
    tasks = {t.pk: t for t in DepartmentTask.objects.all()}
    requests = {r.pk: r for r in Request.objects.all()}
    checked = 0
    for event in Event.objects.exclude(actor=None):
        actor, request = users[event.actor_id], requests[event.request_id]
        if event.type in TASK_WORK:
            assert permissions.can_work_task(actor, tasks[event.payload["task_id"]]), event
        elif event.type in ALLOWED:
            assert ALLOWED[event.type](actor, request), event
        checked += 1
    assert checked > TINY.requests


class _Undo(Exception):
    pass


def _generated(seed):
    """What one seed writes, rolled back afterwards so the next run starts from the same ids
    (department ids aside: sequences do not roll back, so they are left out)."""
    try:
        with transaction.atomic():
            datagen.generate(TINY, seed=seed, log=lambda *_: None)
            rows = list(
                Request.objects.order_by("pk").values_list(
                    "pk", "status", "subject", "public_token"
                )
            )
            rows += list(
                Event.objects.order_by("pk").values_list("request_id", "seq", "type", "actor_id")
            )
            rows += list(Message.objects.order_by("pk").values_list("request_id", "body"))
            raise _Undo
    except _Undo:
        return rows


def test_same_seed_same_data(db):
    assert _generated(3) == _generated(3) != _generated(4)


def test_report_lists_every_figure_with_its_target(tmp_path):
    figures = [
        report.figure("Queue p95", 12.5, "ms", target=("<", 50)),
        report.figure("Fan-out p50", 90.0, "ms", baseline=30.0, target=("<=", 2), of="ratio"),
        report.figure("Events", 1_000, "rows", detail="a plan"),
    ]
    built = report.build(
        [("Pages", "ok", figures), ("Later", "not built yet", [])], smoke=True, meta={"x": 1}
    )
    json_path, md_path = report.write(built, stem="smoke", directory=tmp_path)
    loaded = json.loads(json_path.read_text())
    assert [s["name"] for s in loaded["sections"]] == ["Pages", "Later"]
    for fig in loaded["sections"][0]["figures"]:
        assert set(report.FIGURE_KEYS) <= set(fig)
    queue, fanout, events = loaded["sections"][0]["figures"]
    assert queue["meets"] is True and queue["target"] == "< 50 ms"
    assert fanout["ratio"] == 3.0 and fanout["meets"] is False
    assert events["meets"] is None and events["target"] is None
    text = md_path.read_text()
    assert "| Queue p95 | 12.5 ms |" in text and "not built yet" in text and "a plan" in text


def test_a_figure_missing_a_key_is_refused():
    with pytest.raises(ValueError, match="lacks"):
        report.validate([{"name": "x", "value": 1}])


def _part(monkeypatch, name, run):
    """A stand-in harness part registered as an importable module."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.run = run
    monkeypatch.setitem(sys.modules, name, module)


def test_the_orchestrator_reports_missing_and_failing_parts(monkeypatch):
    from bench.__main__ import run_part

    assert run_part("Later", "bench.not_built_yet", smoke=True) == ("Later", "not built yet", [])

    _part(monkeypatch, "bench_part_ok", lambda smoke: [report.figure("n", 1, "rows")])
    _, status, figures = run_part("Fine", "bench_part_ok", smoke=True)
    assert status == "ok" and figures[0]["name"] == "n"

    _part(monkeypatch, "bench_part_broken", lambda smoke: [{"name": "half a figure"}])
    _, status, figures = run_part("Broken", "bench_part_broken", smoke=True)
    assert status.startswith("failed: ValueError") and figures == []
