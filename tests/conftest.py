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


@pytest.fixture
def requires_postgres():
    _need(settings.IS_POSTGRES, "this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def requires_redis():
    _need(bool(settings.REDIS_URL), "this test needs Redis (set REDIS_URL)")


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
