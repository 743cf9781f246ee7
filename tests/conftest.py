"""Shared fixtures. REQUIRE_SERVICES=1 turns every 'service missing' skip into a failure."""

import os

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _need(condition, reason):
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _worker_thread_disconnected(django_db_setup):
    """database_sync_to_async runs the ORM on asgiref's one worker thread, whose connection
    outlives the test that opened it (CONN_MAX_AGE). tests/realtime_support.py closes it after
    each of its tests; whatever else left one open, it is closed here, before the test
    database is dropped ("being accessed by other users" otherwise)."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _fresh_counts():
    """Counts kept by an earlier test (whose rows were rolled back) are not this test's."""
    from realtime import counts

    counts.events_published()


@pytest.fixture
def requires_postgres():
    _need(settings.IS_POSTGRES, "this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def requires_redis():
    _need(bool(settings.REDIS_URL), "this test needs Redis (set REDIS_URL)")


@pytest.fixture
def private_redis():
    """A redis-server of the test's own, which it may kill and restart."""
    from tests.live_processes import REDIS_SERVER, RedisServer

    _need(os.access(REDIS_SERVER, os.X_OK), f"this test needs {REDIS_SERVER}")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def asgi_on_private_redis(requires_postgres, private_redis, settings):
    """The real ASGI server in a child process, on this test database and the private Redis.
    This process publishes there too: its actions stand for other servers' and workers'."""
    from realtime import publisher
    from tests.live_processes import asgi_server

    settings.REDIS_URL = private_redis.url
    publisher.redis_client.cache_clear()
    with asgi_server(private_redis.url) as server:
        yield server
    publisher.redis_client.cache_clear()


@pytest.fixture
def departments(db):
    from helpdesk.models import Department

    return {
        slug: Department.objects.create(slug=slug, name=slug.title(), description=f"{slug} work")
        for slug in ("support", "finance", "manufacturing", "fulfilment")
    }


@pytest.fixture
def make_staff(db, departments):
    from django.contrib.auth.models import User

    from helpdesk.models import StaffMembership

    def make(username, dept="support", role="agent", **extra):
        user = User.objects.create_user(
            username, password="pw", first_name=username.title(), **extra
        )
        StaffMembership.objects.create(user=user, department=departments[dept], role=role)
        return user

    return make


@pytest.fixture
def agent(make_staff):
    return make_staff("agent")


@pytest.fixture
def agent_client(agent):
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", dept="finance", role="back_office")


@pytest.fixture
def customer(db):
    from helpdesk.models import Customer, Organisation

    org = Organisation.objects.create(name="Acme Ltd", tier="premium")
    return Customer.objects.create(name="Ann Customer", email="ann@acme.example", organisation=org)


@pytest.fixture
def new_request(customer, departments):
    from workflows.actions import open_request

    return open_request(
        customer=customer,
        subject="Refund please",
        body="Order 42 arrived broken.",
        department=departments["support"],
    )


@pytest.fixture
def lead(make_staff):
    return make_staff("lead", role="lead")


@pytest.fixture
def request_in(new_request, agent, departments):
    """request_in(state): the new request brought into `state` by the actions staff use."""
    from workflows import actions

    def bring(state):
        rid = new_request.pk
        if state != "new":
            actions.assign(rid, agent, agent)
        if state == "waiting_on_department":
            actions.hand_off(
                rid, agent, department=departments["finance"], instructions="Refund order 42."
            )
        elif state == "waiting_on_customer":
            actions.reply(rid, agent, "Could you send a photo of the damage?")
        elif state in ("resolved", "closed"):
            actions.resolve(rid, agent)
            if state == "closed":
                actions.close(rid, agent)
        new_request.refresh_from_db()
        assert new_request.status == state
        return new_request

    return bring


@pytest.fixture
def footprint():
    """footprint(request): all an action could write about a request; a refusal leaves it as is."""
    from helpdesk.models import Request

    def take(request):
        row = Request.objects.get(pk=request.pk)
        return {
            "request": (
                row.status,
                row.escalation_level,
                row.last_event_seq,
                row.priority,
                row.assignee_id,
                row.updated_at,
            ),
            "events": list(row.events.values_list("seq", "type")),
            "messages": list(row.messages.values_list("pk", flat=True)),
            "tasks": list(row.tasks.values_list("pk", "status", "assignee_id", "answer")),
        }

    return take


@pytest.fixture
def assert_gapless():
    """assert_gapless(request): its events are numbered 1..last_event_seq, none missing."""
    from helpdesk.models import Request

    def check(request):
        row = Request.objects.get(pk=request.pk)
        seqs = list(row.events.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, row.last_event_seq + 1))

    return check


@pytest.fixture
def fast_passwords(settings):
    """Cheap hashing for modules that create many users. Not autouse: a live server in a child
    process keeps the real hashers and could not check these."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def receiver(settings):
    """A local HTTP server that records webhook deliveries (loopback allowed for it only)."""
    from helpdesk.webhooks.testing import start_receiver

    settings.NUCLEUS_WEBHOOKS_TEST_ALLOW_LOOPBACK = True
    server = start_receiver()
    yield server
    server.close()
