"""Many staff watching one request: presence changes go out once per window, and each
socket's buttons come with the push, rendered once per permission set, instead of one GET
per socket after every event (what a fresh load shows: tests/test_realtime_parity.py)."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from realtime import fragments
from realtime.hub import hub
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    CEILING,
    ORIGIN,
    Socket,
    close_worker_connections,
    connect,
    cookie_header,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)

PRESENCE = 'id="presence"'
ASSIGN_TO_ME = re.compile(r'name="assignee" value="(\d+)"><input[^>]*><button[^>]*>Assign to me')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


async def test_presence_changes_within_the_window_go_out_once(request_in, agent):
    req = await sync(request_in)("open")
    socket = await connect(f"/ws/request/{req.pk}/", agent)
    await socket.until(lambda frame: PRESENCE in frame)
    await socket.settle()
    presence_frames = len([f for f in socket.frames if PRESENCE in f])

    for _ in range(5):  # five pages opening, typing or leaving, before the window closes
        await hub.dispatch({"presence": req.pk})

    await socket.until(lambda frame: PRESENCE in frame)
    await socket.settle()
    assert len([f for f in socket.frames if PRESENCE in f]) == presence_frames + 1
    await socket.close()


async def open_with_csrf_cookie(path, user, secret):
    from channels.testing import WebsocketCommunicator

    from helpdesk.asgi import application

    name, session = await cookie_header(user)
    cookie = session + f"; {settings.CSRF_COOKIE_NAME}={secret}".encode()
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", ORIGIN), (name, cookie)]
    )
    accepted, _ = await communicator.connect(timeout=CEILING)
    assert accepted
    return Socket(communicator)


async def test_each_socket_gets_its_own_buttons_with_the_push(request_in, agent, make_staff):
    colleague = await sync(make_staff)("colleague")  # same department and role: same set
    req = await sync(request_in)("open")  # assigned to `agent`
    path = f"/ws/request/{req.pk}/"
    secret = "a" * 32
    mine = await open_with_csrf_cookie(path, agent, secret)
    theirs = await connect(path, colleague)
    for socket in (mine, theirs):
        await socket.settle()

    await sync(actions.assign)(req.pk, agent, None)  # unassigned: both may take it
    for socket, user in ((mine, agent), (theirs, colleague)):
        frame = (await socket.until(lambda f: "request-actions" in f))[-1]
        assert "/actions/" not in frame  # nothing to fetch: the buttons are in the push
        assert ASSIGN_TO_ME.findall(frame) == [str(user.pk)]
        assert fragments.USER_MARK not in frame and fragments.CSRF_MARK not in frame
    assert set(CSRF_INPUT.findall(theirs.frames[-1])) == {""}  # no cookie: htmx's header
    (token,) = set(CSRF_INPUT.findall(mine.frames[-1]))
    assert await sync(post_assign_to_self)(req, agent, secret, token) == 302  # not 403
    for socket in (mine, theirs):
        await socket.close()


def post_assign_to_self(req, user, secret, token):
    """The pushed form, submitted as the browser would, with CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    url = reverse("console:act", args=[req.pk, "assign"])
    data = {"assignee": user.pk, "csrfmiddlewaretoken": token}
    return client.post(url, data).status_code
