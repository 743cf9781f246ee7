"""A covering index over active requests for the console's sidebar counts (PostgreSQL only).

The counts read every active request the reader may see; with the columns they test in the
index, PostgreSQL answers from the index alone instead of visiting each row. SQLite cannot
hold non-key columns, so the index is not declared on the model.
"""

from django.db import migrations
from django.db.models import Index, Q

ACTIVE = ("new", "open", "waiting_on_department", "waiting_on_customer")
INDEX = Index(
    fields=["status"],
    include=["department", "assignee", "id"],
    condition=Q(status__in=ACTIVE),
    name="request_active_cover",
)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("helpdesk", "Request"), INDEX)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("helpdesk", "Request"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0003_request_recent_index")]

    operations = [migrations.RunPython(add_index, remove_index)]
