"""`make run` on a fresh machine: a new database migrates, the demo data loads twice without
duplicates, and the server (uvicorn plus its job worker) answers with pages and static files.
Several server processes are refused without Redis, which carries their live updates."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_fresh_database_demo_twice_and_the_server_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SQLITE_PATH"] = str(tmp_path / "fresh.sqlite3")  # the embedded default, on a new file
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    counts = manage(env, "shell", "-c", COUNTS)
    manage(env, "load_demo")
    assert manage(env, "shell", "-c", COUNTS) == counts
    assert "agent" in manage(env, "demo_logins")

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.3)
        assert status == 200 and b"Log in to Nucleus" in body
        status, body = get(f"http://127.0.0.1:{port}/static/django_htmx/htmx-2.min.js")
        assert status == 200 and b"htmx" in body
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


COUNTS = (
    "from helpdesk.models import Request, Event, Customer; from django.contrib.auth.models "
    "import User; print(Request.objects.count(), Event.objects.count(), "
    "Customer.objects.count(), User.objects.count())"
)


def test_several_server_processes_need_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="needs REDIS_URL"):
        call_command("serve", "--workers", "2", "--no-worker")
