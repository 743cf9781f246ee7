"""A live update and a reload show the same thing, for every action.

Each page (the agent's request page, the clerk's task page, the customer's status page) is
captured before the action, its socket resumes from the sequence number the page carries, and
the frames it then receives are swapped in as htmx would; the result must equal a fresh load.
"""

import difflib
from types import SimpleNamespace

import pytest
from django.test import Client

from helpdesk.models import Priority
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    apply_push,
    close_worker_connections,
    comparable,
    connect,
    htmx_fetch,
    last_seq,
    logged_in_client,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)

# Parts that differ by design: who else is looking right now.
VOLATILE = ("presence",)


def hand_off_to(slug):
    def hand_off(c):
        task = actions.hand_off(
            c.rid, c.agent, department=c.departments[slug], instructions=f"Please check, {slug}."
        )
        c.tasks.append(task)

    return hand_off


def claim(c):
    actions.claim_task(c.tasks[0].pk, c.clerk)


def resolve(c):
    actions.resolve(c.rid, c.agent)


def escalate(c):
    actions.escalate(c.rid, c.agent, reason="The customer called twice.")


def reply(c):
    actions.reply(c.rid, c.agent, "Your refund is on its way.")


# name: (what happens first, the action whose live update is checked)
CASES = {
    "reply": ([], reply),
    "note": ([], lambda c: actions.add_internal_note(c.rid, c.agent, "Checked the order.")),
    "customer_reply": ([reply], lambda c: actions.customer_reply(c.rid, c.customer, "Thanks!")),
    "assign": ([], lambda c: actions.assign(c.rid, c.agent, c.lead)),
    "priority": ([], lambda c: actions.change_priority(c.rid, c.agent, Priority.HIGH)),
    "escalate": ([], escalate),
    "deescalate": ([escalate], lambda c: actions.deescalate(c.rid, c.lead, reason="Calm.")),
    "hand_off": ([], hand_off_to("finance")),
    "claim_task": ([hand_off_to("finance")], claim),
    "complete_task": (
        [hand_off_to("finance"), claim],
        lambda c: actions.complete_task(c.tasks[0].pk, c.clerk, answer="Refunded in full."),
    ),
    "complete_one_of_two_tasks": (
        [hand_off_to("finance"), hand_off_to("manufacturing")],
        lambda c: actions.complete_task(c.tasks[0].pk, c.clerk, answer="Refunded in full."),
    ),
    "return_task": (
        [hand_off_to("finance")],
        lambda c: actions.return_task(c.tasks[0].pk, c.clerk, reason="Not ours."),
    ),
    "cancel_task": (
        [hand_off_to("finance")],
        lambda c: actions.cancel_task(c.tasks[0].pk, c.agent, reason="Sorted already."),
    ),
    "resolve": ([], resolve),
    "reopen": ([resolve], lambda c: actions.reopen(c.rid, c.agent, reason="Still broken.")),
    "close": ([resolve], lambda c: actions.close(c.rid, c.agent)),
}


# Known gaps, each reported: strict, so a fix turns them into failures to remove from here.
STALE_AFTER = {}


@pytest.fixture
def situation(request_in, agent, lead, clerk, departments):
    req = request_in("open")
    return SimpleNamespace(
        req=req,
        rid=req.pk,
        customer=req.customer,
        agent=agent,
        lead=lead,
        clerk=clerk,
        departments=departments,
        tasks=[],
    )


class LivePage:
    """A page as loaded, and its socket resuming from the page's sequence number."""

    def __init__(self, client, url, socket_path, user=None):
        self.client, self.url, self.socket_path, self.user = client, url, socket_path, user

    async def open(self):
        self.html = await sync(self.load)()
        self.socket = await connect(self.socket_path, self.user, after=last_seq(self.html))
        return self

    def load(self):
        response = self.client.get(self.url)
        assert response.status_code == 200, (self.url, response.status_code)
        return response.content.decode()

    async def receive(self, newest_seq):
        if newest_seq > last_seq(self.html):
            await self.socket.until_seq(newest_seq)
        else:
            await self.socket.settle()  # nothing new for this page: no frame should come

    async def difference_from_reload(self):
        fetch = htmx_fetch(self.client)
        live = self.html
        for frame in self.socket.frames:
            live = await sync(apply_push)(live, frame, fetch)
        fresh = await sync(self.load)()
        difference = "\n".join(
            difflib.unified_diff(
                comparable(fresh, without=VOLATILE).splitlines(),
                comparable(live, without=VOLATILE).splitlines(),
                "reload",
                "live",
                lineterm="",
                n=1,
            )
        )
        await self.socket.close()
        return f"{self.url} live differs from a reload:\n{difference}" if difference else ""


def newest(req, *, public):
    events = req.events.order_by("-seq")
    if public:
        events = events.filter(visibility="public")
    return events.values_list("seq", flat=True).first()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=STALE_AFTER[name]))
        if name in STALE_AFTER
        else name
        for name in CASES
    ],
)
async def test_a_live_update_equals_a_reload(situation, case):
    before, action = CASES[case]
    c = situation
    for step in before:
        await sync(step)(c)

    pages = [
        LivePage(
            await sync(logged_in_client)(c.agent),
            f"/console/r/{c.rid}/",
            f"/ws/request/{c.rid}/",
            c.agent,
        ),
        LivePage(Client(), f"/status/{c.req.public_token}/", f"/ws/status/{c.req.public_token}/"),
    ]
    if c.tasks:
        pages.append(
            LivePage(
                await sync(logged_in_client)(c.clerk),
                f"/inbox/t/{c.tasks[0].pk}/",
                f"/ws/request/{c.rid}/",
                c.clerk,
            )
        )
    for page in pages:
        await page.open()

    await sync(action)(c)

    staff_seq = await sync(newest)(c.req, public=False)
    public_seq = await sync(newest)(c.req, public=True)
    for page in pages:
        await page.receive(public_seq if page.user is None else staff_seq)
    differences = [await page.difference_from_reload() for page in pages]
    assert not any(differences), "\n".join(differences)
