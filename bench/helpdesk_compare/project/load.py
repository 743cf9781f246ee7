"""Load the tickets, follow-ups, queues and staff exported from Nucleus into django-helpdesk.

Runs inside bench/.venv-helpdesk: `python load.py <export dir>`; prints the counts as JSON.
The rows are the Nucleus bench data set mapped onto django-helpdesk's tables (see
bench/helpdesk_compare/export.py), so both help desks are timed on the same data.
"""

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from helpdesk.models import FollowUp, Queue, Ticket, UserSettings  # noqa: E402


def copy_csv(model, path):
    """COPY a CSV whose header names the table's columns."""
    with path.open("rb") as source:
        header = source.readline().decode().strip()
        source.seek(0)
        with connection.connection.cursor() as cursor:
            sql = f"COPY {model._meta.db_table} ({header}) FROM STDIN WITH (FORMAT csv, HEADER)"
            with cursor.copy(sql) as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)


def main(data_dir):
    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE helpdesk_followup, helpdesk_ticket, helpdesk_queue,"
                " helpdesk_usersettings, auth_user RESTART IDENTITY CASCADE"
            )
        Permission.objects.filter(codename__startswith="queue_access_").delete()
        connection.ensure_connection()
        copy_csv(User, data_dir / "users.csv")
        # What its post_save signal would have created for each user; COPY sends no signals.
        UserSettings.objects.bulk_create(UserSettings(user=u) for u in User.objects.all())
        for row in json.loads((data_dir / "queues.json").read_text()):
            Queue(id=row["id"], slug=row["slug"], title=row["title"]).save()
        copy_csv(Ticket, data_dir / "tickets.csv")
        copy_csv(FollowUp, data_dir / "followups.csv")
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [User, Queue, Ticket]):
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = {
        "tickets": Ticket.objects.count(),
        "followups": FollowUp.objects.count(),
        "queues": Queue.objects.count(),
        "users": User.objects.count(),
    }
    print(json.dumps(counts))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
