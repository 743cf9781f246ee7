"""Side by side with django-helpdesk 2.6.1, the Django help desk people would otherwise pick.

The harness installs it in its own virtualenv (bench/.venv-helpdesk, pinned by
requirements.txt) with a minimal project (project/), loads it with the Nucleus bench data
set (export.py: every request a ticket, every message and status change a follow-up) into
its own PostgreSQL database, then times its ticket list (the DataTables endpoint its list
page calls) and its ticket page against the Nucleus console queue and request page, on the
same tickets, with the same timing code (bench/timing.py), in the same run.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.urls import reverse

from bench import environment, pages
from bench.helpdesk_compare import export
from bench.report import figure
from helpdesk.console.queues import PAGE_SIZE
from helpdesk.models import Department

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project"
REQUIREMENTS = HERE / "requirements.txt"
VENV = HERE.parent / ".venv-helpdesk"


def ensure_venv():
    """Create the virtualenv and install the pinned requirements unless already done."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


def database_url():
    """Its own database on the same server, next to the Nucleus bench database."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"{parts.path}_djhelpdesk"))


def call(python, script, argument, url):
    """Run a script of the helpdesk project in its virtualenv; return its JSON output.

    Nothing of the Nucleus environment leaks in: both projects have a `helpdesk` package."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "NUCLEUS_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH", "VIRTUAL_ENV")
    }
    env["HELPDESK_DATABASE_URL"] = url
    done = subprocess.run(
        [str(python), script, argument],
        cwd=PROJECT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(smoke):
    python = ensure_venv()
    url = database_url()
    environment.ensure_database(url)
    with tempfile.TemporaryDirectory(prefix="nucleus-djhelpdesk-") as tmp:
        export.write(Path(tmp))
        loaded = call(python, "load.py", tmp, url)
    s = pages.samples()
    iterations, max_seconds = (5, 30) if smoke else (30, 90)
    tickets = {"typical": s.typical.pk, "longest": s.longest.pk}
    options = {
        "username": pages.AGENT,
        "queue": Department.objects.get(slug="support").pk,
        "tickets": tickets,
        "rows": PAGE_SIZE,  # as many rows as a console queue page shows
        "iterations": iterations,
        "max_seconds": max_seconds,
    }
    theirs = call(python, "measure.py", json.dumps(options), url)
    ours = {
        "list": pages.time_page(pages.queue_url("departments"), pages.AGENT, smoke=smoke),
        **{
            name: pages.time_page(reverse("console:request", args=[pk]), pages.AGENT, smoke=smoke)
            for name, pk in tickets.items()
        },
    }
    figures = [
        figure("django-helpdesk tickets loaded", loaded["tickets"], "rows"),
        figure("django-helpdesk follow-ups loaded", loaded["followups"], "rows"),
    ]
    labels = {
        "list": f"Ticket list ({PAGE_SIZE} rows): console queue vs DataTables endpoint",
        "typical": f"Ticket page, {s.typical.last_event_seq} events",
        "longest": f"Ticket page, {s.longest.last_event_seq} events",
    }
    for key, label in labels.items():
        mine, base = ours[key], theirs[key]
        figures += [
            figure(f"{label}: p50", mine["p50_ms"], "ms", baseline=base["p50_ms"]),
            figure(f"{label}: p95", mine["p95_ms"], "ms", baseline=base["p95_ms"]),
            figure(
                f"{label}: SQL queries",
                mine["queries"],
                "queries",
                baseline=base["queries"],
                detail=f"Nucleus: {pages.describe(mine)}\n\n"
                f"django-helpdesk: {pages.describe(base)}",
            ),
        ]
    return figures
