"""`manage.py ingest_email < message.eml`: for an MTA's pipe transport or a fetchmail hook."""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from helpdesk.mail.inbound import ingest

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


class Command(BaseCommand):
    help = "Import one raw email from standard input."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        if not raw:
            self.stderr.write("No message on standard input.")
            sys.exit(1)
        try:
            result = ingest(raw)
        except DatabaseError as error:
            self.stderr.write(f"Temporary failure, try again: {error}")
            sys.exit(EX_TEMPFAIL)
        email = result.email
        what = "already received" if result.duplicate else email.get_outcome_display()
        where = f" (request #{email.request_id})" if email.request_id else ""
        self.stdout.write(f"{what}{where}: {email.detail or email.subject}")
