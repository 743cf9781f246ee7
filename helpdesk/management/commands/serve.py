"""Serve Nucleus: uvicorn for HTTP and websockets (helpdesk.server), plus a background worker
for SLA clocks.

At scale, run `manage.py serve --no-worker` processes (or one with `--workers N`) and
`manage.py db_worker` separately.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk import server


class Command(BaseCommand):
    help = "Serve the ASGI app with uvicorn and start a background job worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Server processes sharing the port (more than one needs REDIS_URL).",
        )
        parser.add_argument(
            "--forwarded-allow-ips",
            default=os.environ.get("FORWARDED_ALLOW_IPS", ""),
            help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated); "
            "unset: proxy headers are ignored.",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start db_worker.")

    def handle(self, *args, host, port, workers, forwarded_allow_ips, no_worker, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and not settings.REDIS_URL:
            # Each process has its own hub: without Redis an event reaches only the sockets of
            # the process that committed it, and the others' pages would miss it.
            raise CommandError(
                "--workers above 1 needs REDIS_URL: the processes' live updates travel through "
                "Redis. Set REDIS_URL or serve with one worker."
            )
        worker = None
        if not no_worker:
            self._schedule_background_work()
            worker = subprocess.Popen([sys.executable, "manage.py", "db_worker"])
        try:
            server.serve(host, port, workers=workers, forwarded_allow_ips=forwarded_allow_ips)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait()

    def _schedule_background_work(self):
        try:
            from workflows.tasks import ensure_sweep_scheduled
        except ImportError:
            return
        ensure_sweep_scheduled()
