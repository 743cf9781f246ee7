"""List counts (console sidebar, inbox tabs, the top bar's badges) are kept between events:
a page turn or a filter change reuses them, a published event makes the next page count
again, and none is older than realtime.counts.TIMEOUT."""

import re
import time

import pytest

from realtime import counts
from tests.test_query_counts import count, logged_in
from workflows import actions

pytestmark = pytest.mark.django_db


def shown(response, attribute):
    """{queue or tab slug: its count} as the sidebar or tab bar prints it."""
    return {
        slug: int(number)
        for slug, number in re.findall(
            rf'{attribute}="(\w+)".*?<span class="count">(\d+)<',
            response.content.decode(),
            re.DOTALL,
        )
    }


def badge(response):
    return int(re.search(r'id="inbox-badge"[^>]*>(\d+)<', response.content.decode()).group(1))


def open_in_support(customer, departments, subject):
    return actions.open_request(
        customer=customer, subject=subject, body="Help.", department=departments["support"]
    )


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Runs what follows as if committed: its events are published."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_console_counts_are_kept_until_an_event_is_published(
    agent, customer, departments, published
):
    with published():
        open_in_support(customer, departments, "First")
    client = logged_in(agent)
    first, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 1

    # Another filter, another page: the same counts, without counting again (the sidebar's,
    # the inbox badge's and the unread notifications').
    again, response = count(client, "/console/?queue=open&priority=2")
    assert again == first - 3
    assert shown(response, "data-queue")["open"] == 1

    with published():
        request = open_in_support(customer, departments, "Second")
        actions.assign(request.pk, agent, agent)
    _, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 2
    assert shown(response, "data-queue")["mine"] == 1


def test_a_note_keeps_the_counts_and_a_reply_does_not(agent, customer, departments, published):
    """A note changes nothing a list counts; a reply moves the request to "waiting on
    customer"."""
    with published():
        request = open_in_support(customer, departments, "First")
    client = logged_in(agent)
    first, _ = count(client, "/console/?queue=open")
    with published():
        actions.add_internal_note(request.pk, agent, "Called them.")
    after_note, response = count(client, "/console/?queue=open")
    assert after_note == first - 3
    with published():
        actions.reply(request.pk, agent, "Could you send a photo?")
    after_reply, response = count(client, "/console/?queue=open")
    assert after_reply == first
    assert shown(response, "data-queue")["waiting_customer"] == 1


def test_inbox_counts_and_badge_are_kept_until_an_event_is_published(
    agent, clerk, customer, departments, published
):
    request = open_in_support(customer, departments, "Refund")
    with published():
        task = actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions="Refund it."
        )
    client = logged_in(clerk)
    first, response = count(client, "/inbox/")
    assert shown(response, "data-tab")["open"] == 1
    assert badge(response) == 1
    again, _ = count(client, "/inbox/")
    assert again == first - 3  # the tab counts, the unclaimed and the unread badges

    with published():
        actions.claim_task(task.pk, clerk)
    _, response = count(client, "/inbox/")
    assert shown(response, "data-tab")["mine"] == 1
    assert badge(response) == 0  # claimed: no longer waiting for someone to take it


def test_a_count_is_not_kept_longer_than_the_timeout(agent, customer, departments, monkeypatch):
    monkeypatch.setattr(counts, "TIMEOUT", 1)
    client = logged_in(agent)
    _, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 0
    open_in_support(customer, departments, "Made outside a commit: nothing published")
    _, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 0
    time.sleep(1.1)
    _, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 1


def test_counts_are_counted_afresh_when_the_cache_lost_its_token(agent, customer, departments):
    from django.core.cache import cache

    client = logged_in(agent)
    count(client, "/console/?queue=open")
    open_in_support(customer, departments, "Made outside a commit: nothing published")
    cache.delete(counts.TOKEN_KEY)  # Redis restarted, say
    _, response = count(client, "/console/?queue=open")
    assert shown(response, "data-queue")["open"] == 1


def test_the_unread_badge_is_kept_until_a_notification_comes_or_is_read(
    agent, make_staff, customer, departments, published
):
    colleague = make_staff("colleague")
    request = open_in_support(customer, departments, "Help")
    client = logged_in(agent)

    def unread():
        _, response = count(client, "/console/?queue=open")
        found = re.search(r'id="notification-badge"[^>]*>(\d+)<', response.content.decode())
        return int(found.group(1))

    assert unread() == 0
    with published():
        actions.assign(request.pk, colleague, agent)  # a colleague assigns it to the agent
    assert unread() == 1
    with published():
        response = client.post("/console/notifications/read/")
    assert response.status_code == 302
    assert unread() == 0
