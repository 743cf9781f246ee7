from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from helpdesk.api import tokens
from helpdesk.api.models import ApiToken
from helpdesk.models import Customer
from workflows.errors import InvalidInput


class Command(BaseCommand):
    help = "Issue an API token and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--scope", choices=ApiToken.Scope.values, required=True)
        parser.add_argument("--user", help="Username the staff token acts as.")
        parser.add_argument("--customer-email", help="Customer a customer token is bound to.")
        parser.add_argument("--days", type=int, default=tokens.DEFAULT_DAYS)
        parser.add_argument("--name", default="", help="What uses this token.")

    def handle(self, *args, scope, user, customer_email, days, name, **options):
        owner = {}
        if scope == ApiToken.Scope.STAFF:
            if not user or customer_email:
                raise CommandError("A staff token needs --user (and no --customer-email).")
            try:
                owner["user"] = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user!r}.") from None
        else:
            if not customer_email or user:
                raise CommandError("A customer token needs --customer-email (and no --user).")
            owner["customer"] = Customer.objects.filter(email__iexact=customer_email).first()
            if owner["customer"] is None:
                raise CommandError(f"No customer with email {customer_email!r}.")
        try:
            token, secret = tokens.issue_token(scope=scope, days=days, name=name, **owner)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"Token {token.hint}… ({scope}) expires {token.expires_at:%Y-%m-%d %H:%M %Z}. "
            "It is shown once; only its hash is stored."
        )
        self.stdout.write(secret)
