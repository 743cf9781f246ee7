"""Bulk writes of generated rows: COPY on PostgreSQL, executemany elsewhere.

`Model.objects.bulk_create` would overwrite `auto_now_add` timestamps with the time of the
insert, and bench data needs histories spread over two years, so rows go in as plain tuples.
Columns a generator does not name (fields other helpers add later) are filled with the
field's default, so a new nullable or defaulted field does not break the generator.
"""

from django.db import connection
from django.db.models import DateTimeField


class Table:
    """A model's table and the columns a generator provides, in tuple order."""

    def __init__(self, model, columns):
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no {', '.join(unknown)}")
        extra = [f for name, f in fields.items() if name not in columns and not f.primary_key]
        self.columns = [fields[c].column for c in columns] + [f.column for f in extra]
        self.fill = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
        self.datetime_positions = [
            i for i, c in enumerate(columns) if isinstance(fields[c], DateTimeField)
        ]

    def write(self, rows):
        if not rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            with (
                connection.connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row + self.fill)
            return
        placeholders = ", ".join(["%s"] * len(self.columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({placeholders})",
                [self._adapted(row) + self.fill for row in rows],
            )

    def _adapted(self, row):
        """SQLite stores datetimes as text; Django's backend says how."""
        row = list(row)
        for i in self.datetime_positions:
            row[i] = connection.ops.adapt_datetimefield_value(row[i])
        return tuple(row)


def next_id(model):
    """Generated ids start after the rows already there, so a test database can hold both."""
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def reset_sequences(models):
    """Point the id sequences past the explicitly numbered rows (a no-op on SQLite)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
