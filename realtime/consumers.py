"""Websocket endpoints. Thin: authorise once, join the hub, write what it hands over.

Every subscription is derived on the server from what the user may see; nothing the client
sends chooses a group. A socket resumes from the sequence number its page was rendered at.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token

from realtime import fragments, presence
from realtime.hub import hub

log = logging.getLogger(__name__)


def session_hash(session_key):
    return hashlib.sha256(session_key.encode()).hexdigest()


MAX_FRAME = 4096
MAX_FRAMES_PER_SECOND = 10
FORBIDDEN = 4403
# 1009 (too big) and 1008 (policy) in the application range: Daphne (autobahn) may only send
# 1000 or 3000-4999, and turns anything else into an abnormal 1011 that browsers retry.
TOO_BIG = 4009
TOO_MANY = 4008
# "Try again later": the page's websocket extension reconnects, resuming from its last seq.
RESYNC = 1013


def csrf_token(scope):
    """A masked token for the CSRF secret in the socket's cookie, as a page render gets one;
    without the cookie, none (htmx then sends the page's own in its X-CSRFToken header)."""
    secret = scope.get("cookies", {}).get(settings.CSRF_COOKIE_NAME)
    if not secret:
        return ""
    request = HttpRequest()
    request.META["CSRF_COOKIE"] = secret
    return get_token(request)


class LiveSocket(AsyncWebsocketConsumer):
    """Base: subclasses set `topics` (and `request_id`, `public` for request streams)."""

    # No per-socket channel-layer channel: the hub writes to local sockets directly.
    channel_layer_alias = "hub-only"
    request_id = None
    public = False
    topics = ()
    csrf_token = ""  # what the forms in pushed controls carry, as a page load's would

    async def connect(self):
        self.socket_id = uuid.uuid4().hex
        self.resyncing = None  # the task telling a socket that stopped reading to resync
        self.syncing = True  # pushes wait in `pending` until connected() has replayed the log
        self.pending = []
        self.frames = []
        if not await database_sync_to_async(self.authorise)():
            # Accepted, then closed with 4403: a refused handshake looks like a network error
            # to the browser, which would retry for ever.
            await self.accept()
            await self.close(code=FORBIDDEN)
            return
        # Fixed before subscribing: an event committed in between is then replayed from the log
        # instead of being taken for one the page already shows.
        self.last_seq = await self._start_seq()
        await hub.ensure_started()
        # Subscribed before the handshake completes, so nothing sent to this user or topic
        # after the client sees the socket open can pass it by.
        hub.subscribe(self, self.topics, self.user_id)
        try:
            await self.accept()
            await self.connected()
            if not hub.live:
                # Redis is out of reach: the page says so until the hub tells it otherwise.
                await self.send(text_data=fragments.live_state(False).html)
        except BaseException:  # cancelled or closed mid-handshake: no dead socket in the hub
            hub.unsubscribe(self, self.topics, self.user_id)
            raise

    async def disconnect(self, code):
        hub.unsubscribe(self, self.topics, self.user_id)

    @property
    def user_id(self):
        user = self.scope.get("user")
        return user.pk if user is not None and user.is_authenticated else None

    @property
    def session_hash(self):
        session = self.scope.get("session")
        return session_hash(session.session_key) if session and session.session_key else ""

    async def recheck(self):
        """Access may have been lost (membership removed, request moved, logged out): check
        again. False when the socket was closed for it."""
        with contextlib.suppress(AttributeError, KeyError):
            del self.scope["user"]._nucleus_roles  # the roles cached at connect are stale
        if not await database_sync_to_async(self._still_allowed)():
            log.info("closing a socket that lost access to %s", self.topics)
            await self.close(code=FORBIDDEN)
            return False
        return True

    def _still_allowed(self):
        """A staff socket also needs the session it came with: a logout's message to close it
        may have been lost (Redis was down)."""
        session = self.scope.get("session")
        if not self.public and not (session and session.exists(session.session_key)):
            return False
        return self.authorise()

    async def connected(self):
        """On connect, and again when the live source comes back: replay what was missed."""
        await self.resume(self.last_seq)

    def authorise(self):
        raise NotImplementedError

    # -- from the hub -------------------------------------------------------------
    async def deliver(self, push):
        if push.close_unless_token:
            if push.close_unless_token != getattr(self, "token", None):
                await self.close(code=FORBIDDEN)
            return
        if not push.seq:
            self.write(push.html)
            return
        if self.syncing:
            self.pending.append(push)
            return
        if push.seq <= self.last_seq:
            return
        if push.after > self.last_seq:
            await self.resume(self.last_seq)  # a gap: fetch it from the log, in order
            return
        if push.first <= self.last_seq:
            push = push.following(self.last_seq)
        self.last_seq = push.seq
        self.write(push.frame(self.user_id, self.csrf_token))

    def write(self, html):
        """Hand a frame to the server without waiting on this one client.

        uvicorn's send waits while the socket's write buffer is over its high-water mark
        (64 KiB beyond what the kernel holds): the client is not reading. Awaiting that would
        hold every other socket of the process behind it, and buffering for it would grow
        without bound. So the send is started by hand; if it would wait, the frame is
        dropped and so is the socket: it leaves the hub and is told to resync once its
        buffer drains (or the server's keepalive gives up on it)."""
        if self.resyncing is not None:
            return
        sending = self.base_send({"type": "websocket.send", "text": html})
        try:
            sending.send(None)
        except StopIteration:
            return
        sending.close()  # nothing was written: the catch-up after the resync replays it
        log.warning("dropping a socket that stopped reading on %s", ", ".join(self.topics))
        hub.unsubscribe(self, self.topics, self.user_id)
        self.resyncing = asyncio.get_running_loop().create_task(self._resync())

    async def _resync(self):
        with contextlib.suppress(Exception):  # gone meanwhile: nothing left to tell
            await self.close(code=RESYNC)

    async def live_state_changed(self, live):
        if live and not await self.recheck():
            return  # what told it of a logout or a lost membership was lost with Redis
        self.write(fragments.live_state(live).html)
        if live:
            await self.connected()

    async def resume(self, after):
        if self.request_id is None:
            return
        self.syncing = True
        try:
            push = await database_sync_to_async(fragments.catch_up)(
                self.request_id, after, public=self.public
            )
            self.last_seq = max(after, push.seq if push else 0)
            if push is not None:
                self.write(push.html)
        finally:
            self.syncing = False
        pending, self.pending = self.pending, []
        for push in pending:
            await self.deliver(push)

    # -- from the browser -------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        now = time.monotonic()
        self.frames = [t for t in self.frames if now - t < 1.0] + [now]
        size = len(text_data or bytes_data or "")
        if size > MAX_FRAME or len(self.frames) > MAX_FRAMES_PER_SECOND:
            log.warning("closing a socket that sent %s bytes / %s frames", size, len(self.frames))
            await self.close(code=TOO_BIG if size > MAX_FRAME else TOO_MANY)
            return
        try:
            message = json.loads(text_data or "{}")
        except ValueError:
            return
        if isinstance(message, dict):
            await self.on_message(message)

    async def on_message(self, message):
        """Sockets ignore what they do not expect."""

    async def _start_seq(self):
        """The newest sequence number the page shows; without one, only what comes next."""
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            return max(0, int(query["after"][0]))
        except (KeyError, ValueError):
            pass
        if self.request_id is None:
            return 0
        return await database_sync_to_async(fragments.newest_seq)(
            self.request_id, public=self.public
        )


class RequestSocket(LiveSocket):
    """A staff member's request page: the whole log, presence and typing."""

    def authorise(self):
        from helpdesk.models import Request
        from workflows import permissions

        self.user = self.scope.get("user")
        self.request_id = int(self.scope["url_route"]["kwargs"]["pk"])
        req = Request.objects.filter(pk=self.request_id).first()
        if req is None or not self.user or not permissions.can_view_request(self.user, req):
            return False
        self.topics = (f"request:{self.request_id}",)
        self.csrf_token = csrf_token(self.scope)
        return True

    async def connected(self):
        await super().connected()
        await database_sync_to_async(presence.join)(self.request_id, self.socket_id, self.user)
        await self._announce_presence()

    async def disconnect(self, code):
        await super().disconnect(code)
        if self.request_id is not None and self.topics:
            await database_sync_to_async(presence.leave)(self.request_id, self.socket_id)
            await self._announce_presence()

    async def on_message(self, message):
        if message.get("type") == "typing":
            await database_sync_to_async(presence.composing)(
                self.request_id, self.socket_id, self.user, message.get("kind")
            )
            await self._announce_presence()

    async def _announce_presence(self):
        from realtime.publisher import deliver

        await database_sync_to_async(deliver)({"presence": self.request_id})


class StatusSocket(LiveSocket):
    """A customer's status page: public events only, closed when the link is replaced."""

    public = True

    def authorise(self):
        from helpdesk.status.views import request_for_token

        self.token = self.scope["url_route"]["kwargs"]["token"]
        try:
            req = request_for_token(self.token)
        except Exception:
            return False
        self.request_id = req.pk
        self.topics = (f"status:{req.pk}",)
        return True


class ListSocket(LiveSocket):
    """Queue and inbox pages: told to refresh when anything in their departments changes."""

    def authorise(self):
        from helpdesk.models import Department
        from workflows import permissions

        user = self.scope.get("user")
        if not user or not permissions.is_staff_member(user):
            return False
        departments = (
            Department.objects.values_list("pk", flat=True)
            if permissions.is_admin(user)
            else permissions.department_ids(user)
        )
        self.topics = (*(f"dept:{d}" for d in departments), f"user:{user.pk}")
        return True

    async def connected(self):
        # Whatever changed between the page render and now: the list fetches itself again.
        self.write(fragments.list_push(0).html)
