"""Benchmark servers as child processes, and what /proc says about them.

Each server (bench.fanout.serve) is its own process so its CPU time and RSS are its own:
CPU from utime + stime in /proc/<pid>/stat (every thread of the process), RSS from VmRSS.
Ports come from 8031-8049, or from the range BENCH_PORTS names ("9100-9199"), so runs that
share a machine can be kept apart, unless the caller gives its own range.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from urllib.parse import quote


def port_range(spec):
    first, _, last = spec.partition("-")
    return range(int(first), int(last or first) + 1)


PORTS = port_range(os.environ.get("BENCH_PORTS", "8031-8049"))
ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0
PORT_ATTEMPTS = 5
STOP_TIMEOUT = 15.0


@cache
def log_dir():
    """One directory of server logs per run; failures quote their tail."""
    return Path(tempfile.mkdtemp(prefix="nucleus-bench-fanout-"))


def free_port(taken=(), ports=PORTS):
    """A free port of the range, picked at random: another run of the harness on this machine
    (a test suite, say) then rarely grabs the one a restarting server is about to take back."""
    for port in random.sample(ports, len(ports)):
        if port in taken:
            continue
        with socket.socket() as probe:
            # As the servers do: connections in TIME_WAIT from an earlier run do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class Server:
    """`kind` is "bare" or "uvicorn"; `app` the ASGI application path for the latter;
    `ports` the range to listen in."""

    def __init__(self, kind, env, *, app=None, taken=(), ports=PORTS):
        self.kind = kind
        self.app = app
        self.env = env
        self.taken = taken
        self.ports = ports
        self.port = None  # chosen at the first start, kept for restarts
        self.proc = None
        self.log = None

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
        """Start on a free port (another run may take the one we picked first: try another)
        or, on a restart, on the same port (waiting a little should it be busy)."""
        for _ in range(PORT_ATTEMPTS):
            port = self.port or free_port(self.taken, self.ports)
            if self._spawn(port):
                self.port = port
                return self
            if self.port:
                time.sleep(1)
        raise RuntimeError(f"{self.kind} server could not listen: {self.tail()}")

    def _spawn(self, port):
        command = [sys.executable, "-m", "bench.fanout.serve", self.kind, str(port)]
        if self.app:
            command.append(self.app)
        self.log = log_dir() / f"{self.kind}-{port}-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.tail().lower():
                    return False
                raise RuntimeError(f"{self.kind} server exited: {self.tail()}")
            if self.listening(port):
                return True
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not listen on {port}: {self.tail()}")

    def listening(self, port):
        """Whether this process (not some other one) listens on the port: the inodes of the
        listening sockets on it in /proc/net/tcp, among the process's open files."""
        local = f"0100007F:{port:04X}"
        inodes = {
            f"socket:[{fields[9]}]"
            for fields in (
                line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            )
            if fields[1] == local and fields[3] == "0A"
        }
        if not inodes:
            return False
        fds = Path(f"/proc/{self.proc.pid}/fd")
        try:
            return any(os.readlink(fd) in inodes for fd in fds.iterdir())
        except FileNotFoundError:  # an fd closed while we looked: ask again
            return False

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
        if self.log is None:
            return ""
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
    """The environment a Nucleus server needs to share this process's database (the bench
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
