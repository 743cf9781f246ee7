"""The task's customer, copied in 0006, is required from now on; the panel's index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0006_task_customer")]

    operations = [
        migrations.AlterField(
            model_name="departmenttask",
            name="customer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tasks",
                to="helpdesk.customer",
            ),
        ),
        migrations.AddIndex(
            model_name="departmenttask",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "claimed"])),
                fields=["customer", "-created_at", "-id"],
                name="task_open_by_customer",
            ),
        ),
    ]
