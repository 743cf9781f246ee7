"""A customer's socket carries public events only; a staff socket carries everything.

Markers are planted in every internal text (notes, task instructions, answers, reasons, a staff
surname) and looked for in every frame, live and replayed.
"""

import pytest
from django.test import Client

from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = {
    "note": "NOTE-MARKER-7f3a",
    "instructions": "INSTRUCTIONS-MARKER-91bc",
    "answer": "ANSWER-MARKER-22de",
    "return": "RETURN-MARKER-5e10",
    "cancel": "CANCEL-MARKER-c4d2",
    "question": "QUESTION-MARKER-0aa9",
    "surname": "Surnamemarker",
}


def internal_history(req, agent, clerk, departments):
    """Everything staff say to each other about a request, plus one public reply."""
    rid = req.pk
    actions.add_internal_note(rid, agent, f"Careful, {SECRETS['note']}")
    task = actions.hand_off(
        rid, agent, department=departments["finance"], instructions=SECRETS["instructions"]
    )
    actions.claim_task(task.pk, clerk)
    actions.add_internal_note(rid, clerk, SECRETS["question"], task=task)
    actions.complete_task(task.pk, clerk, answer=SECRETS["answer"])
    returned = actions.hand_off(
        rid, agent, department=departments["finance"], instructions="Second look, please."
    )
    actions.return_task(returned.pk, clerk, reason=SECRETS["return"])
    cancelled = actions.hand_off(
        rid, agent, department=departments["manufacturing"], instructions="Check the batch."
    )
    actions.cancel_task(cancelled.pk, agent, reason=SECRETS["cancel"])
    actions.reply(rid, agent, "We have refunded order 42.")
    req.refresh_from_db()
    return req


@pytest.fixture
def planted(request_in, agent, clerk, departments):
    agent.last_name = SECRETS["surname"]
    agent.save()
    return request_in("open"), lambda req: internal_history(req, agent, clerk, departments)


async def test_status_socket_never_carries_internal_text(planted, agent):
    req, make_history = planted
    live = await connect(f"/ws/status/{req.public_token}/", after=0)
    staff = await connect(f"/ws/request/{req.pk}/", agent, after=0)

    req = await sync(make_history)(req)
    last_public = await sync(lambda: req.events.filter(visibility="public").last().seq)()
    await live.until_seq(last_public)
    await staff.until_seq(req.last_event_seq)
    # A page opened afterwards replays the log from the start.
    replayed = await connect(f"/ws/status/{req.public_token}/", after=0)
    await replayed.until_seq(last_public)
    page = await sync(lambda: Client().get(f"/status/{req.public_token}/"))()

    customer_sees = "\n".join([*live.frames, *replayed.frames, page.content.decode()])
    assert "We have refunded order 42." in customer_sees  # the public reply did arrive
    assert "with our finance team" in customer_sees  # so did the status in plain words
    for marker in SECRETS.values():
        assert marker not in customer_sees, marker

    staff_sees = "\n".join(staff.frames)
    for key in ("note", "instructions", "answer", "return", "cancel", "question", "surname"):
        assert SECRETS[key] in staff_sees, key

    for socket in (live, staff, replayed):
        await socket.close()


async def test_status_socket_gets_no_frame_for_internal_only_changes(planted, agent):
    req, _ = planted
    status = await connect(f"/ws/status/{req.public_token}/")
    await status.until(lambda frame: 'id="status-summary"' in frame)  # current words on connect
    staff = await connect(f"/ws/request/{req.pk}/", agent)

    await sync(actions.add_internal_note)(req.pk, agent, SECRETS["note"])
    await sync(actions.reply)(req.pk, agent, "A public answer.")
    await req.arefresh_from_db()
    await staff.until_seq(req.last_event_seq)
    frames = await status.until(lambda frame: "A public answer." in frame)

    assert len(frames) == 1  # the note made no frame of its own
    assert SECRETS["note"] not in frames[0]
    for socket in (status, staff):
        await socket.close()
