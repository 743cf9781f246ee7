"""What makes one broadcast happen. Each publisher returns (seq, when it was published).

Bare and baseline servers publish inside themselves when their `/control/` socket asks; the
stamp is taken just before asking. Nucleus publishes the way it does in production: an
agent's reply through workflows.actions in this process (not the server's), stamped at
the commit, before the after-commit hand-over to the servers.
"""

import json
import time
import uuid

REPLY = (
    "Thanks for your patience. The replacement part left the warehouse this morning and the "
    "courier expects to deliver it tomorrow before noon. When it arrives, please check the "
    "serial number on the label against the one on your order confirmation, keep the old "
    "part in its box, and use the prepaid return label that comes with the parcel. If "
    "anything is missing or damaged, reply here with a photo and we will sort it out the "
    "same day. "
)


class ControlPublisher:
    def __init__(self, server):
        from websockets.sync.client import connect

        self.ws = connect(
            server.url("/control/"),
            origin=server.origin,
            compression=None,
            ping_interval=None,
            proxy=None,
        )
        self.seq = 0

    def __call__(self):
        self.seq += 1
        published = time.monotonic()
        self.ws.send(json.dumps({"seq": self.seq}))
        return self.seq, published

    def close(self):
        self.ws.close()


class Stage:
    """The people and requests Nucleus's streams are about, created in the bench database."""

    def __init__(self):
        from django.contrib.auth.models import User

        from helpdesk.models import Customer, Department, StaffMembership

        self.department, _ = Department.objects.get_or_create(
            slug="support", defaults={"name": "Support", "description": "First line."}
        )
        self.agent, _ = User.objects.get_or_create(
            username="bench-fanout", defaults={"first_name": "Robin"}
        )
        StaffMembership.objects.get_or_create(
            user=self.agent, department=self.department, defaults={"role": "agent"}
        )
        self.customer = Customer.objects.create(
            name="Fan-out Customer", email=f"fanout-{uuid.uuid4().hex[:12]}@bench.example"
        )

    def stream(self):
        """A fresh request waiting on the customer, so each reply adds exactly one public
        event; returns (request, seq the pages show now)."""
        from workflows import actions

        request = actions.open_request(
            customer=self.customer,
            subject="Replacement part",
            body="The part I received does not fit.",
            department=self.department,
        )
        actions.assign(request.pk, self.agent, self.agent)
        actions.reply(request.pk, self.agent, REPLY)
        request.refresh_from_db()
        return request, request.last_event_seq

    def staff_cookie(self, user=None):
        """A session cookie for `user` (the agent by default), as their browser would send."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user or self.agent)
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )


class ReplyPublisher:
    def __init__(self, stage, request):
        self.agent = stage.agent
        self.request_id = request.pk

    def __call__(self):
        from django.db import transaction

        from helpdesk.models import Request
        from workflows import actions

        committed = []
        with transaction.atomic():
            # Registered first, so it runs at the commit, before the action's publish.
            transaction.on_commit(lambda: committed.append(time.monotonic()))
            actions.reply(self.request_id, self.agent, REPLY)
            seq = Request.objects.values_list("last_event_seq", flat=True).get(pk=self.request_id)
        return seq, committed[0]

    def close(self):
        pass
