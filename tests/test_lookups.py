"""`field__any` finds what `field__in` finds, on either database (one array on PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers():
    return [Customer.objects.create(name=f"C{i}", email=f"c{i}@example.com").pk for i in range(5)]


@pytest.mark.parametrize(
    "wanted",
    [
        lambda pks: pks[1:4],
        lambda pks: set(pks[:2]),
        lambda pks: [pks[0], None, str(pks[2])],  # None is left out; "3" is prepared as 3
        lambda pks: [],
        lambda pks: [max(pks) + 1000],
        lambda pks: Customer.objects.filter(pk__in=pks[:2]).values("pk"),  # a subquery
    ],
)
def test_any_finds_what_in_finds(customers, wanted):
    values = wanted(customers)
    found = set(Customer.objects.filter(pk__any=values).values_list("pk", flat=True))
    assert found == set(Customer.objects.filter(pk__in=values).values_list("pk", flat=True))


def test_any_sends_one_parameter_on_postgresql(requires_postgres, customers):
    with CaptureQueriesContext(connection) as queries:
        assert Customer.objects.filter(pk__any=customers).count() == len(customers)
    sql = queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
