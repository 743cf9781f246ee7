"""One SLA sweep pass, for operators: fire every milestone and escalation step due now.

The background worker (`manage.py db_worker`, started by `manage.py serve`) runs the same
pass every few seconds; this command is for cron-style set-ups, scripts and checking by hand.
"""

from django.core.management.base import BaseCommand

from workflows.sla import engine


class Command(BaseCommand):
    help = "Run one SLA sweep pass: fire the SLA milestones and escalation steps due now."

    def add_arguments(self, parser):
        parser.add_argument(
            "--until-done",
            action="store_true",
            help=f"Repeat while a pass finds a full batch ({engine.BATCH}) due.",
        )

    def handle(self, *, until_done, **options):
        total_clocks = total_fired = 0
        while True:
            clocks, fired = engine.sweep()
            total_clocks += clocks
            total_fired += fired
            if not (until_done and clocks >= engine.BATCH):
                break
        self.stdout.write(f"SLA sweep: {total_clocks} clock(s) due, {total_fired} step(s) fired.")
