"""Long histories: pages show the newest entries and the latest finished tasks; "show
earlier" fetches the run before. The customer panel links only what the reader may open."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from helpdesk import selectors
from helpdesk.models import Request
from workflows import actions

pytestmark = pytest.mark.django_db

PAGE_ENTRIES = 4  # a short page keeps the history short; the cut works the same at 50
NOTES = 3 * PAGE_ENTRIES


@pytest.fixture(autouse=True)
def short_pages(monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_ENTRIES", PAGE_ENTRIES)


@pytest.fixture
def long_request(new_request, agent):
    """The opening, NOTES internal notes and public replies alternating, newest last."""
    for n in range(NOTES):
        if n % 2:
            actions.add_internal_note(new_request.pk, agent, f"internal marker {n}")
        else:
            actions.reply(new_request.pk, agent, f"public reply {n}")
    new_request.refresh_from_db()
    return new_request


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


def _seqs(html):
    return [int(seq) for seq in re.findall(r'id="event-(\d+)"', html)]


def _earlier_link(html):
    found = re.search(r'hx-get="([^"]+\?before=\d+)"', html)
    return found.group(1) if found else None


def test_request_page_shows_the_newest_entries_and_earlier_ones_on_demand(agent, long_request):
    client = _staff(agent)
    html = client.get(f"/console/r/{long_request.pk}/").content.decode()
    shown = _seqs(html)
    assert len(shown) == PAGE_ENTRIES and shown[-1] == long_request.last_event_seq
    link = _earlier_link(html)
    assert link == f"/console/r/{long_request.pk}/history/?before={shown[0]}"

    # Each run holds the entries just before the previous one, until the first.
    while link:
        earlier = client.get(link)
        assert earlier.status_code == 200
        older = _seqs(earlier.content.decode())
        assert older and older[-1] == shown[0] - 1
        shown = older + shown
        link = _earlier_link(earlier.content.decode())
    assert shown == list(range(1, long_request.last_event_seq + 1))


def test_status_page_history_holds_public_entries_only(customer, long_request):
    token = long_request.public_token
    client = Client()
    html = client.get(f"/status/{token}/").content.decode()
    link = _earlier_link(html)
    assert link is not None and link.startswith(f"/status/{token}/history/?before=")
    response = client.get(link)
    body = response.content.decode()
    assert response.status_code == 200 and "public reply 0" in body
    assert "internal marker" not in body
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("before", ["", "x", "-3", "1.5", "9" * 40])
def test_a_malformed_position_is_a_clear_400(agent, long_request, before):
    client = _staff(agent)
    for url in (
        f"/console/r/{long_request.pk}/history/?before={before}",
        f"/status/{long_request.public_token}/history/?before={before}",
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert "sequence number" in response.content.decode()


def test_history_of_a_request_out_of_reach_is_not_found(make_staff, long_request):
    outsider = _staff(make_staff("fin.clerk", dept="finance", role="back_office"))
    assert outsider.get(f"/console/r/{long_request.pk}/history/?before=9").status_code == 404
    assert Client().get(f"/status/{'x' * 43}/history/?before=9").status_code == 404
    assert Client().get(f"/console/r/{long_request.pk}/history/?before=9").status_code == 302


def test_the_tasks_panel_holds_open_tasks_and_the_latest_finished(
    monkeypatch, agent, clerk, departments, new_request
):
    monkeypatch.setattr(selectors, "FINISHED_TASKS_SHOWN", 2)
    finance = departments["finance"]
    for n in range(4):
        task = actions.hand_off(new_request.pk, agent, department=finance, instructions=f"T{n}")
        actions.complete_task(task.pk, clerk, answer=f"done {n}")
    actions.hand_off(new_request.pk, agent, department=finance, instructions="still open")
    new_request.refresh_from_db()

    shown = selectors.tasks_on_page(new_request)
    assert [t.instructions for t in shown] == ["T2", "T3", "still open"]
    assert new_request.earlier_tasks
    html = _staff(agent).get(f"/console/r/{new_request.pk}/").content.decode()
    panel = html[html.index('id="request-tasks"') :].split("</section>")[0]
    assert "Earlier finished tasks are in the conversation." in panel
    assert "T2" in panel and "T1" not in panel


def test_the_customer_panel_links_only_the_other_requests_the_reader_may_open(
    make_staff, customer, departments, new_request
):
    maker = make_staff("maker", dept="manufacturing")
    ours = actions.open_request(
        customer=customer, subject="Ours too", body="b", department=departments["support"]
    )
    handed = actions.open_request(
        customer=customer, subject="Handed to us", body="b", department=departments["finance"]
    )
    hidden = actions.open_request(
        customer=customer, subject="Not ours", body="b", department=departments["finance"]
    )
    clerk = make_staff("fin", dept="finance")
    actions.hand_off(handed.pk, clerk, department=departments["support"], instructions="Check")
    agent = make_staff("agent2")
    context = selectors.customer_context(new_request, agent)
    assert context["openable"] == {ours.pk, handed.pk}
    assert selectors.customer_context(new_request, maker)["openable"] == set()
    html = _staff(agent).get(f"/console/r/{new_request.pk}/").content.decode()
    assert f'href="/console/r/{handed.pk}/"' in html
    assert f"#{hidden.pk} Not ours" in html and f'href="/console/r/{hidden.pk}/"' not in html


def test_the_customer_panel_holds_the_newest_open_and_past_requests_and_admins_open_all(
    make_staff, customer, departments, new_request
):
    def make(status, n):
        """n requests of the customer, a minute apart, oldest first."""
        pks = []
        for i in range(n):
            request = Request.objects.create(
                customer=customer,
                subject=f"{status} {i}",
                body="b",
                status=status,
                department=departments["finance"],
            )
            Request.objects.filter(pk=request.pk).update(created_at=start + timedelta(minutes=i))
            pks.append(request.pk)
        return pks

    start = timezone.now() - timedelta(days=1)
    open_ones = make("open", selectors.RECENT_LIMIT + 2)
    closed = make("closed", selectors.RECENT_LIMIT + 2)
    admin = User.objects.create_superuser("root", password="pw")
    context = selectors.customer_context(new_request, admin)
    assert [r.pk for r in context["open_requests"]] == open_ones[::-1][: selectors.RECENT_LIMIT]
    assert [r.pk for r in context["past_requests"]] == closed[::-1][: selectors.RECENT_LIMIT]
    assert context["openable"] == set(open_ones[2:] + closed[2:])
    # Finance's own requests, nothing handed to support: named, never linked.
    assert selectors.customer_context(new_request, make_staff("agent2"))["openable"] == set()


def test_the_customer_panel_lists_the_customers_open_tasks_on_their_other_requests(
    agent, clerk, customer, departments, new_request
):
    from helpdesk.models import Customer

    def request_of(who, subject):
        return actions.open_request(
            customer=who, subject=subject, body="b", department=departments["support"]
        )

    def hand(request, instructions):
        return actions.hand_off(
            request.pk, agent, department=departments["finance"], instructions=instructions
        )

    hand(new_request, "On this very request")
    other = request_of(customer, "Another of theirs")
    handed = [hand(other, f"Open {n}") for n in range(selectors.RECENT_LIMIT + 1)]
    done = hand(other, "Answered already")
    actions.claim_task(done.pk, clerk)
    actions.complete_task(done.pk, clerk, answer="Done.")
    stranger = Customer.objects.create(name="Stranger", email="s@example.com")
    hand(request_of(stranger, "Someone else's"), "Not this customer's")

    listed = selectors.customer_context(new_request, agent)["tasks_elsewhere"]
    assert [t.pk for t in listed] == [t.pk for t in handed[::-1][: selectors.RECENT_LIMIT]]
    html = _staff(agent).get(f"/console/r/{new_request.pk}/").content.decode()
    panel = html[html.index('id="customer-panel"') :].split("</section>")[0]
    assert f"Finance: Open {selectors.RECENT_LIMIT} <span" in panel and f"(#{other.pk})" in panel
    assert "Not this customer's" not in panel and "On this very request" not in panel
