"""Redis killed mid-stream, for real (issue 7, "Nothing lost").

A private redis-server is SIGKILLed under a live ASGI server with open sockets: a staff request
page, a customer status page and a queue list. While it is down, actions keep committing (here
and through the server), pages render and people log in, and every open page is told it is
reconnecting. Once Redis is back on the same port, every socket catches up from its own last
event: each event exactly once, in order, no gap; the outbox relay publishes what was held back.
"""

import asyncio
import time

import pytest

from helpdesk.models import Event
from tests.live_processes import WebClient, connect_remote
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    CEILING,
    close_worker_connections,
    entry_seqs,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)

DOWN = 'data-live="0"'
UP = 'data-live="1"'


def public_seqs(req):
    events = req.events.filter(visibility=Event.Visibility.PUBLIC).order_by("seq")
    return list(events.values_list("seq", flat=True))


def act_during_the_outage(req, agent, rounds):
    """A stream of actions as staff and customer work on: none may fail for want of Redis."""
    for n in range(rounds):
        actions.reply(req.pk, agent, f"Reply {n} while Redis is down.")
        actions.customer_reply(req.pk, req.customer, f"Answer {n} while Redis is down.")
        actions.add_internal_note(req.pk, agent, f"Note {n} while Redis is down.")


def unpublished(req, after=0):
    return req.events.filter(seq__gt=after, published_at__isnull=True).count()


async def until_everything_published(req):
    """The relay of the live server hands over whatever the outage held back."""
    deadline = time.monotonic() + CEILING
    while await sync(unpublished)(req):
        assert time.monotonic() < deadline, "the outbox relay left events unpublished"
        await asyncio.sleep(0.2)


async def test_redis_killed_mid_stream_loses_nothing(
    asgi_on_private_redis, private_redis, request_in, agent, assert_gapless
):
    server = asgi_on_private_redis
    req = await sync(request_in)("open")
    staff_web = WebClient(server)
    assert (await asyncio.to_thread(staff_web.log_in, "agent", "pw"))[0] == 302
    cookies = staff_web.cookie_header()
    start, public_start = req.last_event_seq, (await sync(public_seqs)(req))[-1]
    staff = await connect_remote(server, f"/ws/request/{req.pk}/?after={start}", cookies)
    status = await connect_remote(server, f"/ws/status/{req.public_token}/?after={public_start}")
    queue = await connect_remote(server, "/ws/live/", cookies)
    sockets = (staff, status, queue)

    await sync(actions.reply)(req.pk, agent, "Before the outage.")
    await req.arefresh_from_db()
    await staff.until_seq(req.last_event_seq)
    await status.until_seq(req.last_event_seq)
    await queue.until(lambda frame: 'id="list-poke"' in frame and 'data-poke="0"' not in frame)
    before = req.last_event_seq

    private_redis.kill()
    for socket in sockets:
        await socket.until(lambda frame: DOWN in frame)

    await sync(act_during_the_outage)(req, agent, rounds=3)
    # Through the server: a fresh login, both pages, a note and a customer reply.
    web = WebClient(server)
    code, _ = await asyncio.to_thread(web.log_in, "agent", "pw")
    assert code == 302, "logging in needs no Redis"
    code, page = await asyncio.to_thread(web.get, f"/console/r/{req.pk}/")
    assert code == 200 and "Note 2 while Redis is down." in page
    code, _ = await asyncio.to_thread(
        web.post, f"/console/r/{req.pk}/note/", {"body": "Posted while Redis is down."}
    )
    assert code == 302
    customer_web = WebClient(server)
    code, page = await asyncio.to_thread(customer_web.get, f"/status/{req.public_token}/")
    assert code == 200 and "Answer 2 while Redis is down." in page
    code, _ = await asyncio.to_thread(
        customer_web.post, f"/status/{req.public_token}/reply/", {"body": "Customer, via HTTP."}
    )
    assert code == 302
    await req.arefresh_from_db()
    # Held in the outbox: nothing could be handed over while Redis was down.
    assert await sync(unpublished)(req, after=before) == req.last_event_seq - before
    # A page opened during the outage is served its log, and told it is not live yet.
    late_start = req.last_event_seq - 2
    late = await connect_remote(server, f"/ws/request/{req.pk}/?after={late_start}", cookies)
    await late.until(lambda frame: DOWN in frame)
    sockets += (late,)

    private_redis.start()
    for socket in sockets:
        await socket.until(lambda frame: UP in frame)
    await sync(actions.reply)(req.pk, agent, "After the outage.")
    await req.arefresh_from_db()
    for socket in (staff, status, late):
        await socket.until_seq(req.last_event_seq)
    await until_everything_published(req)
    for socket in sockets:
        await socket.settle()  # whatever the relay re-sent has arrived by now

    await sync(assert_gapless)(req)
    # Nothing of the outage arrived before Redis was back: the catch-up came after it.
    back = next(n for n, frame in enumerate(staff.frames) if UP in frame)
    assert max(entry_seqs("".join(staff.frames[:back]))) == before
    assert staff.seen() == list(range(start + 1, req.last_event_seq + 1))
    assert late.seen() == list(range(late_start + 1, req.last_event_seq + 1))
    public = await sync(public_seqs)(req)
    assert status.seen() == [seq for seq in public if seq > public_start]
    assert "Note 0 while Redis is down." not in "".join(status.frames)
    # The queue page refreshes itself once live again (it carries no sequence to resume from).
    back = next(n for n, frame in enumerate(queue.frames) if UP in frame)
    assert 'id="list-poke"' in "".join(queue.frames[back + 1 :])
    for socket in sockets:
        await socket.close()
