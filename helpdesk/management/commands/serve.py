"""Serve Nucleus: daphne for HTTP and websockets, plus a background worker for SLA clocks.

At scale, run `daphne` processes and `manage.py db_worker` separately instead.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the ASGI app with daphne and start a background job worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-worker", action="store_true", help="Do not start db_worker.")

    def handle(self, *args, host, port, no_worker, **options):
        worker = None
        if not no_worker:
            self._schedule_background_work()
            worker = subprocess.Popen([sys.executable, "manage.py", "db_worker"])
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                host,
                "-p",
                str(port),
                "helpdesk.asgi:application",
            ]
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            server.wait()
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
