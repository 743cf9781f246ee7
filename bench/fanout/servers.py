"""Benchmark servers as child processes, and what /proc says about them.

Each server (bench.fanout.serve) is its own process so its CPU time and RSS are its own:
CPU from utime + stime in /proc/<pid>/stat (every thread of the process), RSS from VmRSS.
Ports come from 8031-8049 only.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PORTS = range(8031, 8050)
ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def free_port(taken=()):
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


class Server:
    """`kind` is "bare" or "daphne"; `app` the ASGI application path for daphne."""

    def __init__(self, kind, env, *, app=None, port=None, taken=()):
        self.kind = kind
        self.app = app
        self.env = env
        self.port = port or free_port(taken)
        self.proc = None
        self.log = Path(tempfile.gettempdir()) / f"nucleus-bench-fanout-{self.port}.log"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        command = [sys.executable, "-m", "bench.fanout.serve", self.kind, str(self.port)]
        if self.app:
            command.append(self.app)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not listen on {self.port}: {self.tail()}")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def tail(self, lines=20):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- /proc ----------------------------------------------------------------------
    def cpu_seconds(self):
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def rss_bytes(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def open_files_limit(self):
        for line in Path(f"/proc/{self.proc.pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
        raise RuntimeError("no open files limit")


def nucleus_env(redis_url):
    """The environment a Nucleus daphne needs to share this process's database (the bench
    database, or pytest's test database) and, when given, its Redis."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="helpdesk.settings")
    env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY  # the session cookies must validate
    env["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    env.setdefault("NUCLEUS_LOG_LEVEL", "WARNING")
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "")
        if db["PASSWORD"]:
            auth += f":{quote(db['PASSWORD'])}"
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def baseline_env(redis_url=None):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.fanout.baseline_settings")
    env["BASELINE_LAYER"] = "redis" if redis_url else "memory"
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def bare_env():
    return dict(os.environ)
