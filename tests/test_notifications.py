"""The in-app notification list: SLA notifications are visible in the app, the top bar counts
the unread ones, and both refresh on the user's live list poke."""

import pytest
from django.test import Client

from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    sync,
)
from workflows.actions.sla import SLA_BREACHED, SLA_WARNING, notify
from workflows.models import Notification


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def notified(new_request, lead):
    notify(new_request.pk, event_type=SLA_WARNING, text="First reply due soon", users=[lead])
    notify(new_request.pk, event_type=SLA_BREACHED, text="First reply overdue", users=[lead])
    return lead


@pytest.mark.django_db
def test_the_page_lists_them_and_the_top_bar_counts_the_unread(notified, agent):
    html = client_for(notified).get("/console/notifications/").content.decode()
    assert "First reply overdue" in html and "First reply due soon" in html
    assert 'id="notification-badge"' in html and ">2</span>" in html
    assert 'data-refresh-on-poke hx-get="/console/notifications/"' in html
    assert 'ws-connect="/ws/live/"' in html
    # Someone else's page: none of these, a zero badge.
    other = client_for(agent).get("/console/notifications/").content.decode()
    assert "First reply overdue" not in other and "No notifications." in other


@pytest.mark.django_db
def test_a_poke_refreshes_the_list_and_the_badge_on_their_own(notified):
    client = client_for(notified)
    fragment = client.get("/console/notifications/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="notification-list"') and "<body" not in html
    assert client.get("/console/notifications/badge/").content.decode().count(">2<") == 1


@pytest.mark.django_db
def test_marking_one_or_all_read(notified):
    client = client_for(notified)
    one = Notification.objects.get(text="First reply overdue")
    answer = client.post(
        "/console/notifications/read/", {"id": one.pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="notification-badge"' in answer and 'hx-swap-oob="true">1</span>' in answer
    assert Notification.objects.filter(user=notified, read=False).count() == 1
    response = client.post("/console/notifications/read/")
    assert response.status_code == 302
    assert Notification.objects.filter(user=notified, read=False).count() == 0


@pytest.mark.django_db(transaction=True)
async def test_a_new_notification_pokes_the_users_live_socket(new_request, lead):
    socket = await connect("/ws/live/", lead)
    await sync(notify)(new_request.pk, event_type=SLA_WARNING, text="Due soon", users=[lead])
    await socket.until(lambda frame: 'id="list-poke"' in frame)
    await socket.close()


@pytest.mark.django_db
def test_a_request_a_colleague_assigns_to_you_is_in_your_notifications(new_request, agent, lead):
    from workflows import actions

    actions.assign(new_request.pk, agent, agent)  # taking it yourself tells nobody
    assert not Notification.objects.exists()
    actions.assign(new_request.pk, agent, lead)
    [notification] = Notification.objects.all()
    assert notification.user == lead
    assert notification.text == f"Agent assigned #{new_request.pk} Refund please to you."
    html = client_for(lead).get("/console/notifications/").content.decode()
    assert "Refund please to you." in html and f'href="/console/r/{new_request.pk}/"' in html
