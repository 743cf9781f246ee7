"""`manage.py demo_logins`: who to log in as, what each sees, and a customer's status link."""

import os

from django.core.management.base import BaseCommand
from django.urls import reverse

from helpdesk.management import demo_content as content
from helpdesk.models import Request
from workflows.states import RequestStatus


class Command(BaseCommand):
    help = "Print the demo logins and the status-page link of one demo request."

    def handle(self, *args, **options):
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        self.stdout.write(f"Demo logins at {base}/accounts/login/ (username / password):")
        for user in content.USERS:
            login = f"{user.username} / {content.PASSWORD}"
            who = f"{user.first_name} {user.last_name}, {user.sees}"
            self.stdout.write(f"  {login:<22} {base}{user.face:<10} {who}")
        demo = Request.objects.filter(
            customer__email__in=[email for _, email, _ in content.CUSTOMERS]
        ).order_by("pk")
        # A request waiting on the customer shows the reply form at work.
        request = demo.filter(status=RequestStatus.WAITING_ON_CUSTOMER).first() or demo.first()
        if request is None:
            self.stdout.write("No demo requests yet: run `manage.py load_demo`.")
            return
        url = reverse("status:page", args=[request.public_token])
        self.stdout.write(f"Customer status page (no login): {base}{url}")
