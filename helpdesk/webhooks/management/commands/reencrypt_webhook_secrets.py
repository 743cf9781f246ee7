"""Step two of rotating DJANGO_SECRET_KEY (see helpdesk.webhooks.encryption): after it, the old
key can leave DJANGO_SECRET_KEY_FALLBACKS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpdesk.webhooks import encryption
from helpdesk.webhooks.models import WebhookEndpoint


class Command(BaseCommand):
    help = "Re-encrypt every webhook signing secret under the current DJANGO_SECRET_KEY."

    def handle(self, *args, **options):
        # All or none; update() rather than save(): only the secret changes, so the target
        # need not be checked (and resolved) again.
        with transaction.atomic():
            rows = WebhookEndpoint.objects.select_for_update().values_list("pk", "secret_encrypted")
            try:
                fresh = {pk: encryption.reencrypt(token) for pk, token in rows}
            except encryption.SecretUnreadable as error:
                raise CommandError(f"{error} Nothing was changed.") from None
            for pk, token in fresh.items():
                WebhookEndpoint.objects.filter(pk=pk).update(secret_encrypted=token)
        self.stdout.write(f"Re-encrypted {len(fresh)} webhook signing secret(s).")
