"""A webhook receiver on 127.0.0.1 for tests: records what arrives, answers as told.

Deliveries reach it only with NUCLEUS_WEBHOOKS_TEST_ALLOW_LOOPBACK on: tests never send
traffic off this machine."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list = field(default_factory=list)
    status: int = 204
    extra_headers: dict = field(default_factory=dict)

    @property
    def port(self):
        return self.server.server_address[1]

    def url(self, path="/hook", host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_receiver():
    receiver = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            receiver.received.append(
                Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            self.send_response(receiver.status)
            for name, value in receiver.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
