"""Each task carries its request's customer, for the customer panel's open tasks. Made
required in 0007: on PostgreSQL the rows just updated hold deferred foreign-key checks, and a
table with pending checks cannot be altered in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_customers(apps, schema_editor):
    DepartmentTask = apps.get_model("helpdesk", "DepartmentTask")
    Request = apps.get_model("helpdesk", "Request")
    customer = Request.objects.filter(pk=OuterRef("request_id")).values("customer_id")[:1]
    DepartmentTask.objects.update(customer_id=Subquery(customer))


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0005_task_open_recent_index")]

    operations = [
        migrations.AddField(
            model_name="departmenttask",
            name="customer",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tasks",
                to="helpdesk.customer",
            ),
        ),
        migrations.RunPython(copy_customers, migrations.RunPython.noop, elidable=True),
    ]
