"""Webhook signing secrets are encrypted at rest: the column never holds the secret, deliveries
still verify with the secret the admin showed once, rotating DJANGO_SECRET_KEY keeps them
readable through the fallback, and the migration encrypted the secrets stored before it."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from standardwebhooks import Webhook

from helpdesk.webhooks import encryption
from helpdesk.webhooks.models import SECRET_PREFIX, Delivery, WebhookEndpoint
from helpdesk.webhooks.tasks import deliver_webhooks

pytestmark = pytest.mark.usefixtures("fast_passwords")

OLD_KEY, NEW_KEY = "old-secret-key-" + "x" * 40, "new-secret-key-" + "y" * 40


def stored_row(endpoint):
    """The endpoint's row as the database holds it, every column as text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def assert_not_in_the_clear(secret, row):
    assert secret.startswith(SECRET_PREFIX)
    assert secret not in row and secret.removeprefix(SECRET_PREFIX) not in row
    assert SECRET_PREFIX not in row


@pytest.mark.django_db
def test_the_secret_shown_once_signs_deliveries_and_is_not_in_the_row(
    admin_client, receiver, new_request
):
    page = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": receiver.url(), "scope": "public", "event_types": "[]", "active": "on"},
    )
    shown = re.search(r"<code>(whsec_[^<]+)</code>", page.content.decode()).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert_not_in_the_clear(shown, stored_row(endpoint))

    deliver_webhooks.call([e.pk for e in new_request.events.all()])

    [message] = receiver.received
    headers = {k.lower(): v for k, v in message.headers.items()}
    assert Webhook(shown).verify(message.body, headers)["type"] == "request.request_opened"


@pytest.mark.django_db
def test_a_rotated_secret_is_not_in_the_row_either(admin_client, receiver):
    endpoint = WebhookEndpoint.objects.create(url=receiver.url())
    page = admin_client.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    shown = re.search(r"<code>(whsec_[^<]+)</code>", page.content.decode()).group(1)
    endpoint.refresh_from_db()
    assert endpoint.secret == shown
    assert_not_in_the_clear(shown, stored_row(endpoint))


@pytest.mark.django_db
def test_rotating_the_secret_key_keeps_secrets_readable_then_reencrypts(settings, receiver):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    endpoint = WebhookEndpoint.objects.create(url=receiver.url())
    secret, under_old_key = endpoint.secret, endpoint.secret_encrypted

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert WebhookEndpoint.objects.get().secret == secret
    call_command("reencrypt_webhook_secrets", stdout=io.StringIO())

    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone for good
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != under_old_key
    assert endpoint.secret == secret


@pytest.mark.django_db
def test_a_key_lost_without_its_fallback_fails_deliveries_clearly_and_changes_nothing(
    settings, receiver, new_request
):
    settings.SECRET_KEY = OLD_KEY
    endpoint = WebhookEndpoint.objects.create(url=receiver.url())
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []

    deliver_webhooks.call([e.pk for e in new_request.events.all()])

    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.RETRYING  # mended by restoring the fallback
    assert "DJANGO_SECRET_KEY_FALLBACKS" in delivery.last_error
    assert receiver.received == []
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("reencrypt_webhook_secrets")
    assert WebhookEndpoint.objects.get().secret_encrypted == endpoint.secret_encrypted


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_stored_before_it():
    executor = MigrationExecutor(connection)
    before, after = [("webhooks", "0001_initial")], [("webhooks", "0002_encrypt_secrets")]
    executor.migrate(before)
    try:
        Old = executor.loader.project_state(before).apps.get_model("webhooks", "WebhookEndpoint")
        plain = Old.objects.create(url="https://hooks.example.com/in", secret="whsec_b2xkc2VjcmV0")
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes("webhooks"))
    endpoint = WebhookEndpoint.objects.get(pk=plain.pk)
    assert endpoint.secret == "whsec_b2xkc2VjcmV0"
    assert_not_in_the_clear(endpoint.secret, stored_row(endpoint))
    assert encryption.decrypt(endpoint.secret_encrypted) == endpoint.secret
