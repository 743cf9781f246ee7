"""A client that sends oversized or flooding frames, or stops reading, loses its own socket,
nobody else's."""

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from channels.testing import WebsocketCommunicator

from helpdesk.asgi import application
from realtime import consumers
from realtime.hub import hub
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    CEILING,
    ORIGIN,
    Socket,
    close_worker_connections,
    connect,
    cookie_header,
    last_seq,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)

TYPING = json.dumps({"type": "typing", "kind": "reply"})


@pytest.fixture
def frozen_clock(monkeypatch):
    """Every frame arrives in the same instant, so the rate limit does not depend on speed."""
    monkeypatch.setattr(consumers, "time", SimpleNamespace(monotonic=lambda: 1000.0))


async def open_three(req, agent, lead):
    return (
        await connect(f"/ws/request/{req.pk}/", agent),
        await connect(f"/ws/request/{req.pk}/", lead),
        await connect(f"/ws/status/{req.public_token}/"),
    )


async def still_live(req, agent, sockets):
    await sync(actions.reply)(req.pk, agent, "Still here?")
    await req.arefresh_from_db()
    for socket in sockets:
        await socket.until(lambda frame: "Still here?" in frame)
        await socket.close()


@pytest.mark.parametrize("which", [0, 2])  # a staff socket, a customer's socket
async def test_an_oversized_frame_closes_only_that_socket(request_in, agent, lead, which):
    req = await sync(request_in)("open")
    sockets = await open_three(req, agent, lead)

    await sockets[which].send(json.dumps({"type": "typing", "kind": "x" * consumers.MAX_FRAME}))

    assert await sockets[which].until_closed() == consumers.TOO_BIG
    await still_live(req, agent, [s for s in sockets if s is not sockets[which]])


@pytest.mark.parametrize("which", [0, 2])
async def test_flooding_closes_only_that_socket(request_in, agent, lead, which, frozen_clock):
    req = await sync(request_in)("open")
    sockets = await open_three(req, agent, lead)
    calm = sockets[1]

    for _ in range(consumers.MAX_FRAMES_PER_SECOND):
        await calm.send(TYPING)  # at the limit: allowed
    for _ in range(consumers.MAX_FRAMES_PER_SECOND + 1):
        await sockets[which].send(TYPING)

    assert await sockets[which].until_closed() == consumers.TOO_MANY
    await still_live(req, agent, [s for s in sockets if s is not sockets[which]])


async def test_frames_that_are_not_json_or_not_expected_are_ignored(request_in, agent):
    req = await sync(request_in)("open")
    staff = await connect(f"/ws/request/{req.pk}/", agent)
    for junk in ("not json", "[1, 2]", '"typing"', '{"type": "subscribe", "topic": "dept:2"}'):
        await staff.send(junk)
    await still_live(req, agent, [staff])


class StalledClient:
    """The server's side of a client that stops reading: as uvicorn's does once the socket's
    write buffer is full, `send` waits until the client reads again."""

    def __init__(self):
        self.reading = asyncio.Event()
        self.reading.set()

    async def app(self, scope, receive, send):
        async def send_when_read(message):
            await self.reading.wait()
            await send(message)

        return await application(scope, receive, send_when_read)

    async def connect(self, path, user):
        headers = [(b"origin", ORIGIN), await cookie_header(user)]
        communicator = WebsocketCommunicator(self.app, path, headers=headers)
        accepted, _ = await communicator.connect(timeout=CEILING)
        assert accepted
        return Socket(communicator)


async def test_a_client_that_stops_reading_is_dropped_and_told_to_resync(
    request_in, agent, lead, caplog
):
    req = await sync(request_in)("open")
    path = f"/ws/request/{req.pk}/"
    stalled = StalledClient()
    slow = await stalled.connect(path, lead)
    others = [await connect(path, agent), await connect(f"/ws/status/{req.public_token}/")]
    await slow.settle()  # presence of the others: read while it still reads
    seen_by_slow = last_seq("".join(slow.frames)) or req.last_event_seq
    stalled.reading.clear()

    with caplog.at_level(logging.WARNING, logger="realtime.consumers"):
        await sync(actions.reply)(req.pk, agent, "First while it sleeps")
        await sync(actions.reply)(req.pk, agent, "Second while it sleeps")
        for socket in others:
            await socket.until(lambda frame: "Second while it sleeps" in frame)
            assert "First while it sleeps" in "".join(socket.frames)

    topic = f"request:{req.pk}"
    assert [r.getMessage() for r in caplog.records] == [
        f"dropping a socket that stopped reading on {topic}"
    ]
    assert len(hub.topics[topic]) == 1  # only the agent's socket is still written to

    stalled.reading.set()  # it reads again: it is told to resync
    assert await slow.until_closed() == consumers.RESYNC
    assert "while it sleeps" not in "".join(slow.frames)
    # ... and, reconnecting from what it shows, gets everything it missed, in order.
    await req.arefresh_from_db()
    again = await connect(path, lead, after=seen_by_slow)
    await again.until_seq(req.last_event_seq)
    missed = await sync(list)(
        req.events.filter(seq__gt=seen_by_slow).order_by("seq").values_list("seq", flat=True)
    )
    assert again.seen() == missed and missed
    for socket in [*others, again]:
        await socket.close()
