"""The demo data: loads twice without duplicates, covers every state, and its logs are real."""

from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from helpdesk.models import DepartmentTask, Event, Request, StaffMembership
from workflows.states import RequestStatus, TaskStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEMO_USERS = {
    "agent": ("support", "agent"),
    "lead": ("support", "lead"),
    "finance": ("finance", "back_office"),
    "manufacturing": ("manufacturing", "back_office"),
    "admin": ("support", "admin"),
}


def counts():
    models = [*apps.get_app_config("helpdesk").get_models(), get_user_model()]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded twice into the fresh test database, once for the whole module (loading costs
    seconds), inside a transaction rolled back at the end; each test rolls back to a savepoint.
    Yields the table sizes after each load."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        assert not Request.objects.exists(), "an earlier test left requests committed"
        sizes = []
        for _ in range(2):
            call_command("load_demo", stdout=StringIO())
            sizes.append(counts())
        yield sizes
        transaction.set_rollback(True)


def test_loading_twice_duplicates_nothing(demo):
    first, second = demo
    assert second == first
    assert 45 <= first["Request"] <= 60


def test_every_request_and_task_state_is_present():
    assert set(Request.objects.values_list("status", flat=True)) == set(RequestStatus.values)
    assert set(DepartmentTask.objects.values_list("status", flat=True)) == set(TaskStatus.values)
    assert Request.objects.filter(escalation_level__gt=0).exists()
    assert Event.objects.filter(type="deescalated").exists()
    kinds = Counter(Event.objects.values_list("type", flat=True))
    for kind in ("replied", "note_added", "customer_replied", "task_created", "escalated"):
        assert kinds[kind] > 0, kind


def test_every_request_log_is_gapless_and_replays_to_its_state():
    for request in Request.objects.prefetch_related("events"):
        events = sorted(request.events.all(), key=lambda e: e.seq)
        assert [e.seq for e in events] == list(range(1, request.last_event_seq + 1))
        assert events[0].type == "request_opened"
        status = RequestStatus.NEW
        for event in events:
            if event.type == "status_changed":
                assert event.payload["old"] == status
                status = event.payload["new"]
            assert event.created_at <= request.updated_at
        assert status == request.status, request


def test_demo_users_log_in_with_demo_and_have_their_roles():
    for username, (department, role) in DEMO_USERS.items():
        user = get_user_model().objects.get(username=username)
        assert user.check_password("demo")
        assert user.get_full_name()
        assert StaffMembership.objects.filter(
            user=user, department__slug=department, role=role
        ).exists()
    assert get_user_model().objects.get(username="admin").is_superuser


def test_demo_logins_prints_logins_and_a_status_link(capsys, monkeypatch):
    monkeypatch.setenv("HOST", "127.0.0.2")
    monkeypatch.setenv("PORT", "8765")
    call_command("demo_logins")
    out = capsys.readouterr().out
    for username in DEMO_USERS:
        assert f"{username} / demo" in out
    assert "http://127.0.0.2:8765/console/" in out
    assert "http://127.0.0.2:8765/inbox/" in out
    token = out.split("/status/")[1].split("/")[0]
    assert Request.objects.filter(public_token=token).exists()


def test_demo_logins_without_demo_requests_says_how_to_load_them(capsys):
    Request.objects.all().delete()
    call_command("demo_logins")
    assert "load_demo" in capsys.readouterr().out


# The admin over the demo data --------------------------------------------------------------


@pytest.fixture
def admin_site_client(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label == "helpdesk"] + [get_user_model()],
    ids=lambda m: m.__name__,
)
def test_admin_lists_and_shows_every_model(model, admin_site_client):
    assert admin_site_client.get(admin_url(model, "changelist")).status_code == 200
    obj = model.objects.first()
    assert admin_site_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_admin_request_list_filters_and_searches(admin_site_client):
    url = admin_url(Request, "changelist")
    response = admin_site_client.get(url, {"q": "refund", "status__exact": "open", "priority": 2})
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Request, Event], ids=lambda m: m.__name__)
def test_admin_cannot_add_or_delete_workflow_records(model, admin_site_client):
    obj = model.objects.first()
    assert admin_site_client.get(admin_url(model, "add")).status_code == 403
    assert admin_site_client.post(admin_url(model, "delete", obj.pk)).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_admin_cannot_change_the_state_of_a_request(admin_site_client):
    request = Request.objects.filter(status=RequestStatus.OPEN).first()
    form = {"subject": "Renamed", "body": request.body, "channel": request.channel}
    form |= {"status": "closed", "escalation_level": 3, "last_event_seq": 0, "priority": 4}
    for prefix in ("messages", "tasks", "events"):
        form |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    response = admin_site_client.post(admin_url(Request, "change", request.pk), form)
    assert response.status_code == 302, response.content[:2000]
    before = (request.status, request.escalation_level, request.last_event_seq, request.priority)
    request.refresh_from_db()
    assert request.subject == "Renamed"
    after = (request.status, request.escalation_level, request.last_event_seq, request.priority)
    assert after == before


def test_event_admin_is_view_only(admin_site_client):
    event = Event.objects.first()
    response = admin_site_client.post(admin_url(Event, "change", event.pk), {"type": "forged"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.type != "forged"
