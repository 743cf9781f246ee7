"""Shared by the websocket tests: log in, open sockets against the real ASGI application, read
frames, and apply pushed fragments to a page the way htmx does.

Frames are awaited until what a test expects arrives (a generous ceiling turns a hang into a
failure); nothing here measures how fast anything was.
"""

import re

import pytest
from asgiref.sync import SyncToAsync
from bs4 import BeautifulSoup
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import Client

from helpdesk.asgi import application
from realtime.hub import hub

ORIGIN = b"http://testserver"
CEILING = 10  # seconds before a frame that never comes fails the test

_SEQ = re.compile(r'id="last-seq" data-seq="(\d+)"')
_EVENT = re.compile(r'id="event-(\d+)"')


@pytest.fixture(autouse=True)
def close_worker_connections(transactional_db):
    """Each test starts with an empty hub and presence, and leaves no database connection.

    A failed test may leave sockets subscribed to the process-wide hub, and presence lives in
    the cache. database_sync_to_async runs the ORM on asgiref's one worker thread, whose
    connections outlive the test (CONN_MAX_AGE) and would keep the test database from being
    dropped."""
    yield
    hub.topics.clear()
    hub.by_user.clear()
    cache.clear()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def logged_in_client(user):
    client = Client()
    client.force_login(user)
    return client


async def cookie_header(user):
    client = await database_sync_to_async(logged_in_client)(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())


async def attempt(path, user=None, *, after=None, origin=ORIGIN):
    """Open a websocket; return (communicator, accepted, close code)."""
    headers = [(b"origin", origin)] if origin else []
    if user is not None:
        headers.append(await cookie_header(user))
    if after is not None:
        path += f"?after={after}"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    accepted, code = await communicator.connect(timeout=CEILING)
    return communicator, accepted, code


async def refusal(path, user=None, **kwargs):
    """The close code a refused socket gets, before it could receive a single frame.

    Sockets are refused either at the handshake (a foreign Origin) or accepted and closed at
    once with 4403, so the browser stops retrying."""
    communicator, accepted, code = await attempt(path, user, **kwargs)
    if accepted:
        message = await communicator.receive_output(timeout=CEILING)
        assert message["type"] == "websocket.close", f"{path} was served: {message}"
        code = message.get("code", 1000)
    return code


async def handshake_refusal(path, user=None, **kwargs):
    """Refused before the socket is accepted: nothing of the application ran."""
    _, accepted, code = await attempt(path, user, **kwargs)
    assert not accepted, f"{path} passed the handshake"
    return code


async def connect(path, user=None, **kwargs):
    communicator, accepted, code = await attempt(path, user, **kwargs)
    assert accepted, f"{path} was refused with {code}"
    return Socket(communicator)


class Socket:
    """One open websocket and every frame it has received so far."""

    def __init__(self, communicator):
        self.communicator = communicator
        self.frames = []
        self.close_code = None

    async def next_frame(self):
        message = await self.communicator.receive_output(timeout=CEILING)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise ConnectionClosed(self.close_code)
        self.frames.append(message["text"])
        return message["text"]

    async def until(self, predicate):
        """Frames up to and including the first one `predicate` accepts."""
        received = []
        while True:
            frame = await self.next_frame()
            received.append(frame)
            if predicate(frame):
                return received

    async def until_seq(self, seq):
        """Frames until the page's sequence marker reaches `seq`."""
        return await self.until(lambda frame: (last_seq(frame) or 0) >= seq)

    async def settle(self):
        """Frames that arrive before the socket falls quiet: for when a test cannot know
        whether one more is coming (it only weakens a check, never fails it)."""
        while not await self.communicator.receive_nothing(timeout=0.2):
            await self.next_frame()

    async def until_closed(self):
        try:
            while True:
                await self.next_frame()
        except ConnectionClosed as closed:
            return closed.code

    def seen(self):
        """Every timeline entry received, in arrival order (duplicates kept)."""
        return [seq for frame in self.frames for seq in entry_seqs(frame)]

    async def close(self):
        if self.close_code is None:
            await self.communicator.disconnect()

    async def send(self, text):
        await self.communicator.send_to(text_data=text)


class ConnectionClosed(Exception):
    def __init__(self, code):
        super().__init__(f"socket closed with {code}")
        self.code = code


def last_seq(html):
    found = _SEQ.findall(html)
    return int(found[-1]) if found else None


def entry_seqs(html):
    return [int(seq) for seq in _EVENT.findall(html)]


def sync(function):
    return database_sync_to_async(function)


# -- applying pushes like htmx ------------------------------------------------------------

AFTER_EACH_MESSAGE = re.compile(r"^htmx:wsAfterMessage\b")


def apply_push(page_html, push_html, fetch):
    """Swap a pushed frame into a page as htmx and its ws extension do.

    Every top-level element of the frame is an out-of-band swap; an element swapped in that
    loads itself (hx-trigger="load"), and any element that reloads after each socket message,
    is replaced by what `fetch(url)` answers (None for a 204, which leaves it as it is)."""
    page = BeautifulSoup(page_html, "html.parser")
    _swap_out_of_band(page, BeautifulSoup(push_html, "html.parser"), fetch)
    for element in page.find_all(attrs={"hx-trigger": AFTER_EACH_MESSAGE}):
        _load(page, element, fetch)
    return str(page)


def _swap_out_of_band(page, fragment, fetch):
    for element in list(fragment.find_all(recursive=False)):
        how = element.attrs.pop("hx-swap-oob", "true")
        if how == "true":
            target = page.find(id=element["id"])
            if target is None:
                continue  # htmx skips parts the page does not have
            target.replace_with(element)
            if element.get("hx-trigger") == "load":
                _load(page, element, fetch)
        else:
            style, selector = how.split(":", 1)
            assert style == "beforeend", how
            target = page.select_one(selector)
            for child in list(element.contents):
                target.append(child)


def _load(page, element, fetch):
    assert element.get("hx-swap") == "outerHTML", element.attrs
    answer = fetch(element["hx-get"])
    if answer is None:
        return
    answer = BeautifulSoup(answer, "html.parser")
    out_of_band = BeautifulSoup("", "html.parser")
    for part in answer.find_all(attrs={"hx-swap-oob": True}, recursive=False):
        out_of_band.append(part.extract())
    element.replace_with(*answer.contents)
    _swap_out_of_band(page, out_of_band, fetch)


def htmx_fetch(client):
    """GET as htmx does (HX-Request), for apply_push."""

    def fetch(url):
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code in (200, 204), (url, response.status_code)
        return response.content.decode() if response.status_code == 200 else None

    return fetch


def comparable(page_html, *, without=()):
    """A page's <body> normalised for comparison: a tag a line, whitespace collapsed, CSRF
    tokens (masked anew on every render) blanked, relative times ("5 seconds ago") replaced by
    the instant they name, and the elements that legitimately differ dropped."""
    body = BeautifulSoup(page_html, "html.parser").find("body")
    for element_id in without:
        for element in body.find_all(id=element_id):
            element.decompose()
    for token in body.find_all("input", attrs={"name": "csrfmiddlewaretoken"}):
        token["value"] = ""
    body["hx-headers"] = ""  # carries the CSRF token too
    for kept in body.find_all(attrs={"hx-preserve": True}):
        del kept["hx-preserve"]  # a re-render keeps what the user typed: same page to the eye
    for time in body.find_all("time"):
        time.string = time.get("datetime", "")
    text = re.sub(r"\s+", " ", str(body))
    return re.sub(r">\s*<", ">\n<", text).strip()  # a tag a line: readable diffs
