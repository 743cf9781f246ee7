"""The per-process hub: one message per process in, one write per local socket out.

A plain consumer per socket fed by group_send costs a channel-layer receive and a thread hop
for every delivered message. Here each event batch reaches a process once, is rendered once
per audience, and is written straight to the local sockets subscribed to its topics
(measurements: ../shared/notes/realtime-fanout.md).
"""

import asyncio
import contextlib
import gc
import json
import logging
from collections import defaultdict

from channels.db import database_sync_to_async
from django.conf import settings

from realtime import fragments, relay

log = logging.getLogger(__name__)

RELAY_INTERVAL = 1.0
REDIS_RETRY = 1.0
SUBSCRIBE_WAIT = 5.0
# Presence changes on a request within this window go out as one push: a thousand pages
# opening at once would otherwise each send the viewer list to all the others.
PRESENCE_WINDOW = 0.25


class Hub:
    def __init__(self):
        self.loop = None
        self.queue = None
        self.topics = defaultdict(set)
        self.by_user = defaultdict(set)
        self.tasks = []
        self.subscribed = None
        self.presence_due = set()  # requests whose viewer list goes out at the window's end
        self.live = True  # False while Redis is out of reach: pages show "reconnecting".

    # -- life cycle ---------------------------------------------------------------
    async def ensure_started(self):
        """Start the process's delivery tasks once; every caller then waits (bounded) until
        the Redis listener has subscribed, or an event published before that would be lost
        for the sockets connected meanwhile (they read the log before it was published)."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self._start(loop)
        if not self.subscribed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.subscribed.wait(), SUBSCRIBE_WAIT)

    def _start(self, loop):
        self.loop = loop
        self.subscribed = asyncio.Event()
        self.queue = asyncio.Queue()
        self.presence_due = set()  # timers of another loop never fire here
        self.tasks = [
            loop.create_task(self._deliver_forever()),
            loop.create_task(self._relay_forever()),
        ]
        if settings.REDIS_URL:
            self.tasks.append(loop.create_task(self._listen_forever()))
        else:
            self.subscribed.set()
        # Long-lived sockets make full GC passes slow; freeze what start-up allocated.
        gc.freeze()

    def submit_threadsafe(self, message):
        """From a sync thread of this process (a view's action): queue for delivery."""
        if self.loop is None or self.loop.is_closed():
            return False
        self.loop.call_soon_threadsafe(self.queue.put_nowait, message)
        return True

    # -- subscriptions --------------------------------------------------------------
    def subscribe(self, socket, topics, user_id=None):
        for topic in topics:
            self.topics[topic].add(socket)
        if user_id is not None:
            self.by_user[user_id].add(socket)

    def unsubscribe(self, socket, topics, user_id=None):
        if user_id is not None:
            self.by_user.get(user_id, set()).discard(socket)
            if not self.by_user.get(user_id):
                self.by_user.pop(user_id, None)
        for topic in topics:
            sockets = self.topics.get(topic)
            if sockets is not None:
                sockets.discard(socket)
                if not sockets:
                    del self.topics[topic]

    def watched(self, topics):
        return [t for t in topics if t in self.topics]

    def viewers(self, request_id):
        """The users with the request open here, one each: their controls are rendered with
        the push."""
        sockets = self.topics.get(f"request:{request_id}", ())
        return list({s.user_id: s.scope["user"] for s in sockets if s.user_id}.values())

    # -- delivery -------------------------------------------------------------------
    async def _deliver_forever(self):
        """One delivery task per process keeps every topic in publish order. What queued up
        while a batch rendered goes out together (see coalesced)."""
        while True:
            messages = [await self.queue.get()]
            while not self.queue.empty():
                messages.append(self.queue.get_nowait())
            for message in coalesced(messages):
                try:
                    await self.dispatch(message)
                except Exception:
                    log.exception("live delivery failed for %s", message)

    async def dispatch(self, message):
        if "access" in message:
            # Memberships changed: every socket of that user checks again what it may see.
            for socket in list(self.by_user.get(message["access"], ())):
                await socket.recheck()
            return
        if "recheck" in message:
            for socket in list(self.topics.get(f"request:{message['recheck']}", ())):
                await socket.recheck()
            return
        if "logout" in message:
            for sockets in list(self.by_user.values()):
                for socket in list(sockets):
                    if socket.session_hash == message["logout"]:
                        await socket.close(code=4403)
            return
        if "presence" in message:
            request_id = message["presence"]
            if request_id not in self.presence_due:
                self.presence_due.add(request_id)
                self.loop.call_later(
                    PRESENCE_WINDOW, self.queue.put_nowait, {"presence_due": request_id}
                )
            return
        if "presence_due" in message:
            request_id = message["presence_due"]
            self.presence_due.discard(request_id)
            topic = f"request:{request_id}"
            if topic in self.topics:
                push = await database_sync_to_async(fragments.presence)(request_id)
                await self.send(topic, push)
            return
        candidates = fragments.topics_for(message)
        if not self.watched(candidates):
            return
        pushes = await database_sync_to_async(fragments.render_batch)(
            message["request_id"],
            message["event_ids"],
            self.watched(candidates),
            self.viewers(message["request_id"]),
        )
        for topic, push in pushes:
            await self.send(topic, push)

    async def send(self, topic, push):
        for socket in list(self.topics.get(topic, ())):
            try:
                await socket.deliver(push)
            except Exception:
                # Closed under us (its disconnect not handled yet, its handshake timed out):
                # it must not cost the sockets after it this push.
                log.info("dropping a socket that failed a push on %s", topic, exc_info=True)
                self.unsubscribe(socket, socket.topics, socket.user_id)

    async def broadcast_state(self, live):
        self.live = live
        for socket in {s for sockets in self.topics.values() for s in sockets}:
            try:
                await socket.live_state_changed(live)
            except Exception:
                # As in send(); raised from here it would also end the Redis listener for good.
                log.info("dropping a socket that failed a live-state change", exc_info=True)
                self.unsubscribe(socket, socket.topics, socket.user_id)

    # -- sources --------------------------------------------------------------------
    async def _relay_forever(self):
        while True:
            await asyncio.sleep(RELAY_INTERVAL)
            try:
                await database_sync_to_async(relay.publish_stragglers)()
            except Exception:
                log.exception("relay pass failed")

    async def _listen_forever(self):
        import redis.asyncio as aioredis

        from realtime.publisher import pubsub_channel

        channel = pubsub_channel()
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    self.subscribed.set()
                    if not self.live:
                        await self.broadcast_state(True)
                    async for item in pubsub.listen():
                        if item["type"] == "message":
                            self.queue.put_nowait(json.loads(item["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live listener lost Redis (%s); retrying", exc)
                if self.live:
                    await self.broadcast_state(False)
                await asyncio.sleep(REDIS_RETRY)
            finally:
                await client.aclose()


def coalesced(messages):
    """`messages` with the event batches of each request merged into its first one.

    Rendering costs per batch, not per event: merged, a process that falls behind renders
    each busy request once per pass instead of once per action, and catches up. Any other
    message (an access recheck, a logout, presence) is a barrier nothing is moved across,
    and a merged batch stays within what a catch-up would send."""
    merged = []
    open_batches = {}  # request id -> its batch since the last barrier
    for message in messages:
        if "event_ids" not in message:
            open_batches.clear()
            merged.append(message)
            continue
        batch = open_batches.get(message["request_id"])
        if batch is None or len(batch["event_ids"]) >= fragments.CATCH_UP_LIMIT:
            batch = {**message, "event_ids": [], "topics": []}
            open_batches[message["request_id"]] = batch
            merged.append(batch)
        batch["event_ids"] += message["event_ids"]
        batch["topics"] += [t for t in message.get("topics", ()) if t not in batch["topics"]]
    return merged


hub = Hub()
