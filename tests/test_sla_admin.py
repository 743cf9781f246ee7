"""The SLA configuration is editable in the admin; engine records are read-only there."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.test_sla_clocks import FRIDAY_4PM, make_ladder, make_policy, office_calendar, open_at
from workflows.models import BusinessCalendar, Clock

PAGES = [
    "businesscalendar",
    "slapolicy",
    "escalationladder",
    "clock",
    "firedstep",
    "notification",
]


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@nucleus.example", "pw"))
    return client


def test_every_sla_admin_page_opens(admin_client, customer, departments):
    calendar = office_calendar()
    make_policy(ladder=make_ladder({"percent": 75, "notify": "assignee"}))
    open_at(FRIDAY_4PM, customer, departments)
    for model in PAGES:
        assert admin_client.get(reverse(f"admin:workflows_{model}_changelist")).status_code == 200
    for model in ("businesscalendar", "slapolicy", "escalationladder"):
        assert admin_client.get(reverse(f"admin:workflows_{model}_add")).status_code == 200
    change = reverse("admin:workflows_businesscalendar_change", args=[calendar.pk])
    assert admin_client.get(change).status_code == 200
    clock = Clock.objects.first()
    assert (
        admin_client.get(reverse("admin:workflows_clock_change", args=[clock.pk])).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:workflows_clock_add")).status_code == 403


def test_a_calendar_is_validated(admin_client):
    response = admin_client.post(
        reverse("admin:workflows_businesscalendar_add"),
        {
            "name": "Moon base",
            "time_zone": "Moon/Tranquility",
            "country": "XX",
            "hours-TOTAL_FORMS": "0",
            "hours-INITIAL_FORMS": "0",
            "closures-TOTAL_FORMS": "0",
            "closures-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with errors
    assert "Unknown time zone" in response.content.decode()
    assert "No public holiday data" in response.content.decode()
    assert not BusinessCalendar.objects.exists()
