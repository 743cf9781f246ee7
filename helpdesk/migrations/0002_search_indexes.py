"""GIN indexes for the console's full-text search (PostgreSQL only; SQLite searches by substring).

Expression indexes: they must match helpdesk.search.request_document() and
message_document() exactly, or PostgreSQL cannot use them. They are not declared on the
models because SQLite cannot build them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = {
    "Request": GinIndex(SearchVector("subject", "body", config="english"), name="request_search"),
    "Message": GinIndex(SearchVector("body", config="english"), name="message_search"),
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.add_index(apps.get_model("helpdesk", model_name), index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.remove_index(apps.get_model("helpdesk", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
