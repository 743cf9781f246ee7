"""A process that falls behind renders each busy request once per pass, and never shows a gap."""

import pytest

from realtime import fragments, publisher
from realtime.hub import coalesced, hub
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    sync,
)
from workflows import actions


def batch(request_id, *event_ids, topics=()):
    return {"request_id": request_id, "event_ids": list(event_ids), "topics": list(topics)}


def test_batches_of_one_request_merge_into_the_first_in_order():
    messages = [
        batch(1, 10, 11, topics=["dept:1"]),
        batch(2, 20),
        batch(1, 12, topics=["dept:1", "user:5"]),
        batch(2, 21),
    ]

    assert coalesced(messages) == [
        batch(1, 10, 11, 12, topics=["dept:1", "user:5"]),
        batch(2, 20, 21),
    ]


def test_nothing_is_moved_across_another_kind_of_message():
    messages = [batch(1, 10), {"recheck": 1}, batch(1, 11), {"presence": 1}, batch(1, 12)]

    assert coalesced(messages) == messages


def test_a_merged_batch_stays_within_what_a_catch_up_sends(monkeypatch):
    monkeypatch.setattr(fragments, "CATCH_UP_LIMIT", 3)

    merged = coalesced([batch(1, 1, 2), batch(1, 3), batch(1, 4, 5), batch(1, 6)])

    assert merged == [batch(1, 1, 2, 3), batch(1, 4, 5, 6)]


@pytest.fixture
def quiet_request(request_in, agent, departments):
    return request_in("open")


def event_ids(req, *seqs):
    return list(req.events.filter(seq__in=seqs).order_by("seq").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
async def test_a_batch_with_a_hole_is_pushed_so_that_the_page_fills_it(
    quiet_request, agent, monkeypatch
):
    """The middle event's message has not arrived; the batch around it must not read as
    complete, or the page would skip that event for good."""
    req = quiet_request
    start = req.last_event_seq
    staff = await connect(f"/ws/request/{req.pk}/", agent, after=start)
    with monkeypatch.context() as patch:
        patch.setattr(publisher, "deliver", lambda message: True)  # still on its way
        for text in ("First.", "Second.", "Third."):
            await sync(actions.add_internal_note)(req.pk, agent, text)
    first, third = start + 1, start + 3

    await hub.dispatch(batch(req.pk, *await sync(event_ids)(req, first, third)))
    await staff.until_seq(third)

    assert staff.seen() == [first, start + 2, third]
    await staff.close()


@pytest.mark.django_db(transaction=True)
async def test_a_backlog_of_one_request_is_rendered_once(quiet_request, agent, monkeypatch):
    req = quiet_request
    start = req.last_event_seq
    staff = await connect(f"/ws/request/{req.pk}/", agent, after=start)
    status = await connect(f"/ws/status/{req.public_token}/", after=start)
    messages = []
    with monkeypatch.context() as patch:
        patch.setattr(publisher, "deliver", lambda message: messages.append(message) or True)
        await sync(actions.add_internal_note)(req.pk, agent, "Internal.")
        await sync(actions.reply)(req.pk, agent, "Public.")
        await sync(actions.add_internal_note)(req.pk, agent, "Internal again.")
    await req.arefresh_from_db()
    renders = []
    render_batch = fragments.render_batch
    monkeypatch.setattr(
        fragments, "render_batch", lambda *args: renders.append(args) or render_batch(*args)
    )

    for message in messages:  # queued while the process was busy
        hub.queue.put_nowait(message)
    await staff.until_seq(req.last_event_seq)
    await status.until(lambda frame: "Public." in frame)

    assert len(messages) == 3
    assert len(renders) == 1
    assert staff.seen() == list(range(start + 1, req.last_event_seq + 1))
    public = await sync(
        lambda: list(req.events.filter(seq__gt=start, visibility="public").values_list("seq"))
    )()
    assert status.seen() == [seq for (seq,) in public]
    for socket in (staff, status):
        await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_merged_batch_half_shown_by_a_catch_up_adds_only_the_rest(
    quiet_request, agent, monkeypatch
):
    req = quiet_request
    start = req.last_event_seq
    monkeypatch.setattr(publisher, "deliver", lambda message: True)  # both still on their way
    await sync(actions.add_internal_note)(req.pk, agent, "Shown by the catch-up.")
    staff = await connect(f"/ws/request/{req.pk}/", agent, after=start)
    await staff.until_seq(start + 1)
    await sync(actions.add_internal_note)(req.pk, agent, "Only in the batch.")

    await hub.dispatch(batch(req.pk, *await sync(event_ids)(req, start + 1, start + 2)))
    await staff.until_seq(start + 2)

    assert staff.seen() == [start + 1, start + 2]
    await staff.close()
