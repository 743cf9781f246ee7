"""Reconnecting sockets get what they missed from the event log: in order, once, or a reload."""

import pytest

from realtime import fragments, publisher
from realtime.hub import hub
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def busy(request_in, agent, departments):
    """An open request with a history: seq 1 opened, 2-3 assigned/open, then notes and replies."""
    req = request_in("open")
    actions.add_internal_note(req.pk, agent, "Checked the order.")
    actions.reply(req.pk, agent, "Could you send a photo?")
    actions.customer_reply(req.pk, req.customer, "Here it is.")
    actions.add_internal_note(req.pk, agent, "Photo looks bad.")
    req.refresh_from_db()
    return req


def seqs_of(req, *, public=False):
    events = req.events.order_by("seq")
    if public:
        events = events.filter(visibility="public")
    return list(events.values_list("seq", flat=True))


async def test_resume_after_n_gets_exactly_the_later_events_in_order(busy, agent):
    every = await sync(seqs_of)(busy)
    public = await sync(seqs_of)(busy, public=True)

    for after in (0, 2, every[-2], every[-1]):
        staff = await connect(f"/ws/request/{busy.pk}/", agent, after=after)
        status = await connect(f"/ws/status/{busy.public_token}/", after=after)
        # One more event gives every socket something to wait for, whatever it replayed.
        await sync(actions.reply)(busy.pk, agent, f"Update after {after}.")
        await busy.arefresh_from_db()
        await staff.until_seq(busy.last_event_seq)
        await status.until_seq(busy.last_event_seq)

        new = [s for s in range(every[-1] + 1, busy.last_event_seq + 1)]
        assert staff.seen() == [s for s in every if s > after] + new
        assert status.seen() == [s for s in public if s > after] + new
        every, public = [*every, *new], [*public, *new]
        for socket in (staff, status):
            await socket.close()


async def test_a_lost_message_is_filled_from_the_log(busy, agent, monkeypatch):
    start = busy.last_event_seq
    staff = await connect(f"/ws/request/{busy.pk}/", agent, after=start)
    status = await connect(f"/ws/status/{busy.public_token}/", after=start)

    # The transport drops the next batch but reports success, so nobody re-sends it.
    with monkeypatch.context() as patch:
        patch.setattr(publisher, "deliver", lambda message: True)
        await sync(actions.reply)(busy.pk, agent, "Lost in transit.")
        await sync(actions.add_internal_note)(busy.pk, agent, "Also lost.")
    await sync(actions.reply)(busy.pk, agent, "Arrives and reveals the gap.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)
    await status.until_seq(busy.last_event_seq)

    assert staff.seen() == list(range(start + 1, busy.last_event_seq + 1))
    assert "Lost in transit." in "".join(status.frames)
    assert "Also lost." not in "".join(status.frames)
    assert len(status.seen()) == len(set(status.seen()))
    for socket in (staff, status):
        await socket.close()


async def test_the_same_event_delivered_twice_is_shown_once(busy, agent):
    staff = await connect(f"/ws/request/{busy.pk}/", agent, after=busy.last_event_seq)
    status = await connect(f"/ws/status/{busy.public_token}/", after=busy.last_event_seq)

    await sync(actions.reply)(busy.pk, agent, "Said once.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)
    await status.until_seq(busy.last_event_seq)
    batch = await sync(
        lambda: list(busy.events.filter(seq__gt=busy.last_event_seq - 2).values_list("pk"))
    )()
    message = {"request_id": busy.pk, "event_ids": [pk for (pk,) in batch], "topics": []}
    # Twice straight into this process's hub, and twice more through the real transport.
    await hub.dispatch(message)
    await hub.dispatch(message)
    await sync(publisher.deliver)(message)
    await sync(publisher.deliver)(message)
    await sync(actions.reply)(busy.pk, agent, "Said next.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)
    await status.until_seq(busy.last_event_seq)

    expected = list(range(busy.last_event_seq - 2, busy.last_event_seq + 1))
    assert staff.seen() == expected
    assert status.seen() == expected  # replies and their status changes are all public
    for socket in (staff, status):
        await socket.close()


async def test_a_very_large_gap_asks_the_page_to_reload(busy, agent, monkeypatch):
    monkeypatch.setattr(fragments, "CATCH_UP_LIMIT", 3)
    every = await sync(seqs_of)(busy)
    public = await sync(seqs_of)(busy, public=True)

    within = await connect(f"/ws/request/{busy.pk}/", agent, after=every[-4])
    beyond = await connect(f"/ws/request/{busy.pk}/", agent, after=every[-5])
    status_within = await connect(f"/ws/status/{busy.public_token}/", after=public[-4])
    status_beyond = await connect(f"/ws/status/{busy.public_token}/", after=public[-5])

    for socket in (within, status_within):
        frame = (await socket.until(lambda f: "event-" in f))[-1]
        assert 'id="live-reload"' not in frame
    for socket in (beyond, status_beyond):
        frame = (await socket.until(lambda f: "live-reload" in f))[-1]
        assert 'data-reload="now"' in frame
        assert socket.seen() == []  # no partial replay: the page reloads instead
    for socket in (within, beyond, status_within, status_beyond):
        await socket.close()


async def test_a_socket_without_a_position_gets_only_what_comes_next(busy, agent):
    staff = await connect(f"/ws/request/{busy.pk}/", agent)
    await staff.until(lambda frame: 'id="presence"' in frame)  # its start is fixed by now

    await sync(actions.reply)(busy.pk, agent, "Only this.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)

    assert staff.seen() == [busy.last_event_seq - 1, busy.last_event_seq]
    await staff.close()


async def test_when_the_live_source_returns_sockets_resume_from_their_own_position(
    busy, agent, monkeypatch
):
    """Redis out of reach, as the hub sees it: publishes fail and stay in the outbox, pages
    show "reconnecting"; once it is back every socket replays from the newest event it has."""
    start = busy.last_event_seq
    staff = await connect(f"/ws/request/{busy.pk}/", agent, after=start)
    status = await connect(f"/ws/status/{busy.public_token}/", after=start)
    await sync(actions.reply)(busy.pk, agent, "Before the outage.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)
    await status.until_seq(busy.last_event_seq)

    with monkeypatch.context() as patch:
        patch.setattr(publisher, "deliver", lambda message: False)
        await hub.broadcast_state(False)
        await sync(actions.reply)(busy.pk, agent, "During the outage.")
        await sync(actions.add_internal_note)(busy.pk, agent, "Also during the outage.")
    for socket in (staff, status):
        await socket.until(lambda frame: 'data-live="0"' in frame)
    await hub.broadcast_state(True)
    await sync(actions.reply)(busy.pk, agent, "After the outage.")
    await busy.arefresh_from_db()
    await staff.until_seq(busy.last_event_seq)
    await status.until_seq(busy.last_event_seq)

    assert staff.seen() == list(range(start + 1, busy.last_event_seq + 1))
    public = await sync(seqs_of)(busy, public=True)
    assert status.seen() == [s for s in public if s > start]
    assert 'data-live="1"' in "".join(staff.frames)
    for socket in (staff, status):
        await socket.close()


class ClosedUnderTheHub:
    """A socket whose client went away before its disconnect was handled: writes raise."""

    user_id = None

    def __init__(self, request_id):
        self.topics = (f"request:{request_id}",)

    async def live_state_changed(self, live):
        raise RuntimeError("the connection is closed")


async def test_a_socket_closed_under_the_hub_costs_the_others_the_live_state_nothing(busy, agent):
    """Raised from broadcast_state, its error would also end the Redis listener that calls it."""
    staff = await connect(f"/ws/request/{busy.pk}/", agent, after=busy.last_event_seq)
    status = await connect(f"/ws/status/{busy.public_token}/", after=busy.last_event_seq)
    closed = ClosedUnderTheHub(busy.pk)
    hub.subscribe(closed, closed.topics)

    await hub.broadcast_state(False)
    for socket in (staff, status):
        await socket.until(lambda frame: 'data-live="0"' in frame)
    assert closed not in hub.topics[f"request:{busy.pk}"]
    await hub.broadcast_state(True)
    for socket in (staff, status):
        await socket.until(lambda frame: 'data-live="1"' in frame)
        await socket.close()


async def test_a_resuming_status_page_gets_current_status_words_after_internal_changes(
    busy, agent, departments
):
    """A second hand-off is internal only (no public event to catch up on), yet it changes the
    customer's status words: the resumed socket sends them anyway."""

    def hand_off(department):
        actions.hand_off(busy.pk, agent, department=departments[department], instructions="Do it.")

    await sync(hand_off)("finance")
    after = (await sync(seqs_of)(busy, public=True))[-1]
    await sync(hand_off)("manufacturing")
    status = await connect(f"/ws/status/{busy.public_token}/", after=after)
    [frame] = await status.until(lambda frame: 'id="status-summary"' in frame)
    assert "manufacturing" in frame and "Do it." not in frame
    assert 'id="event-' not in frame  # no entries: nothing public was missed
    await status.close()
