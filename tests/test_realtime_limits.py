"""A client that sends oversized or flooding frames loses its own socket, nobody else's."""

import json
from types import SimpleNamespace

import pytest

from realtime import consumers
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
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
