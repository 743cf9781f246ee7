"""Webhook signing secrets move to an encrypted column; existing ones are encrypted in place."""

from django.db import migrations, models

import helpdesk.webhooks.models
from helpdesk.webhooks import encryption


def encrypt_existing(apps, schema_editor):
    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in Endpoint.objects.all():
        endpoint.secret_encrypted = encryption.encrypt(endpoint.secret)
        endpoint.save(update_fields=["secret_encrypted"])


def decrypt_existing(apps, schema_editor):
    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in Endpoint.objects.all():
        endpoint.secret = encryption.decrypt(endpoint.secret_encrypted)
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(
                default=helpdesk.webhooks.models.new_encrypted_secret, editable=False
            ),
        ),
    ]
