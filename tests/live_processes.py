"""Real processes for fault tests, and clients that reach them over TCP.

A private redis-server the test may kill and restart, the ASGI application served by the same
protocol server `manage.py serve` runs (bench.fanout's Server, in a child process on this test
database), websocket clients that read frames like tests.realtime_support's in-process ones,
and an HTTP client that logs in and posts forms with their CSRF token.

Ports come from NUCLEUS_TEST_PORTS (default 9400-9599), so parallel runs can be kept apart.
"""

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import redis
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from bench.fanout.designs import NUCLEUS_APP
from bench.fanout.servers import Server, free_port, nucleus_env, port_range
from tests.realtime_support import CEILING, Socket

# What `manage.py serve` runs (helpdesk.server).
PROTOCOL_SERVER = "uvicorn"
REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT = 30.0


TEST_PORTS = port_range(os.environ.get("NUCLEUS_TEST_PORTS", "9400-9599"))


def asgi_server(redis_url):
    """The real ASGI application in its own process, on this test database and that Redis;
    the caller starts and stops it (a context manager)."""
    return Server(PROTOCOL_SERVER, nucleus_env(redis_url), app=NUCLEUS_APP, ports=TEST_PORTS)


class RedisServer:
    """A redis-server of the test's own: nothing saved, nothing shared, killed at will and
    restarted on the same port (empty, as after a crash)."""

    def __init__(self):
        self.port = None
        self.proc = None
        self.log = Path(tempfile.mkdtemp(prefix="nucleus-redis-")) / "redis.log"

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        """On a free port of the range at first (another may take the one probed: try the
        next), on the same one after a kill."""
        for _ in range(5):
            port = self.port or free_port(ports=TEST_PORTS)
            if self._spawn(port):
                self.port = port
                return self
        raise RuntimeError(f"redis-server could not listen: {self.log.read_text()[-2000:]}")

    def _spawn(self, port):
        command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False  # most likely the port was taken meanwhile
                try:
                    if client.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {port}")

    def kill(self):
        """SIGKILL: no goodbye to its clients, the way a crash looks to them."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


# -- websocket clients -------------------------------------------------------------------


class RemoteCommunicator:
    """A real websocket connection with the part of channels' WebsocketCommunicator that
    tests.realtime_support.Socket uses, so remote sockets are read the same way."""

    def __init__(self, connection):
        self.connection = connection
        self.ahead = None  # a frame read while checking that nothing came

    async def receive_output(self, timeout=CEILING):
        if self.ahead is not None:
            message, self.ahead = self.ahead, None
            return message
        try:
            text = await asyncio.wait_for(self.connection.recv(), timeout)
        except ConnectionClosed as closed:
            return {"type": "websocket.close", "code": closed.rcvd.code if closed.rcvd else 1006}
        return {"type": "websocket.send", "text": text}

    async def receive_nothing(self, timeout=0.1):
        if self.ahead is None:
            try:
                self.ahead = await self.receive_output(timeout)
            except TimeoutError:
                return True
        return False

    async def send_to(self, text_data):
        await self.connection.send(text_data)

    async def disconnect(self):
        await self.connection.close()


async def connect_remote(server, path, cookies=None):
    """Open a websocket on the live server as a page of that origin would."""
    headers = [("Cookie", cookies)] if cookies else []
    connection = await ws_connect(
        server.url(path), origin=server.origin, additional_headers=headers, open_timeout=CEILING
    )
    return Socket(RemoteCommunicator(connection))


# -- HTTP ----------------------------------------------------------------------------------


class _Unfollowed(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to check, not to follow


class WebClient:
    """Cookies kept, redirects not followed, and the CSRF token sent with every form."""

    def __init__(self, server):
        self.server = server
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _Unfollowed)

    def get(self, path):
        return self._open(path)

    def post(self, path, data):
        data = {**data, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        return self._open(path, urlencode(data).encode())

    def log_in(self, username, password):
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"username": username, "password": password})

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), "")

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def _open(self, path, body=None):
        """(status, text) whatever the status."""
        try:
            with self.opener.open(self.server.origin + path, body, timeout=CEILING) as answer:
                return answer.status, answer.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode(errors="replace")
