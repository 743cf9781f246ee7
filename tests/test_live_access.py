"""Losing access stops live updates at once; presence tells who else is on a request."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory

from helpdesk.models import StaffMembership
from realtime import publisher, signals
from realtime.hub import hub
from tests.realtime_support import close_worker_connections, connect, sync  # noqa: F401
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)


async def test_removing_a_membership_closes_that_users_sockets(
    clerk, agent, departments, new_request
):
    task = await sync(actions.hand_off)(
        new_request.pk, agent, department=departments["finance"], instructions="check"
    )
    assert task.pk
    socket = await connect(f"/ws/request/{new_request.pk}/", clerk)
    await sync(StaffMembership.objects.filter(user=clerk).delete)()
    assert await socket.until_closed() == 4403


async def test_transfer_closes_sockets_of_staff_who_lose_the_request(
    make_staff, agent, departments, new_request
):
    colleague = await sync(make_staff)("colleague")
    socket = await connect(f"/ws/request/{new_request.pk}/", colleague)
    await sync(actions.transfer)(new_request.pk, agent, departments["fulfilment"])
    assert await socket.until_closed() == 4403


async def test_logout_closes_the_sessions_sockets(agent, new_request):
    socket = await connect(f"/ws/request/{new_request.pk}/", agent)
    await sync(_log_out)(agent)
    assert await socket.until_closed() == 4403


async def test_access_lost_while_the_live_source_was_away_is_checked_when_it_returns(
    monkeypatch, agent, clerk, lead, departments, new_request
):
    """Redis down: the messages that would close the sockets of a logout and of a removed
    membership are lost. When it is back, each socket checks its access before catching up."""
    await sync(actions.hand_off)(
        new_request.pk, agent, department=departments["finance"], instructions="check"
    )
    logged_out = await connect(f"/ws/request/{new_request.pk}/", agent)
    removed = await connect(f"/ws/request/{new_request.pk}/", clerk)
    kept = await connect(f"/ws/request/{new_request.pk}/", lead)

    with monkeypatch.context() as patch:
        for module in (publisher, signals):
            patch.setattr(module, "deliver", lambda message: False)
        await hub.broadcast_state(False)
        await sync(_log_out)(agent)
        await sync(StaffMembership.objects.filter(user=clerk).delete)()
        await sync(actions.add_internal_note)(new_request.pk, lead, "Said while they were away.")
    await hub.broadcast_state(True)

    await kept.until(lambda frame: "Said while they were away." in frame)
    for socket in (logged_out, removed):
        assert await socket.until_closed() == 4403
        assert "Said while they were away." not in "".join(socket.frames)
    await kept.close()


def _log_out(user):
    from django.contrib.auth import logout

    request = RequestFactory().post("/accounts/logout/")
    request.session = _session_of(user)
    request.user = user
    logout(request)


def _session_of(user):
    """The user's session as the configured engine holds it (with the shared cache: there too)."""
    from django.contrib.sessions.models import Session

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    for row in Session.objects.all():
        store = SessionStore(session_key=row.session_key)
        if str(store.get(SESSION_KEY)) == str(user.pk):
            return store
    raise AssertionError("no session")


async def test_presence_names_viewers_and_who_is_writing(agent, make_staff, new_request):
    lead = await sync(make_staff)("lead", role="lead")
    first = await connect(f"/ws/request/{new_request.pk}/", agent)
    second = await connect(f"/ws/request/{new_request.pk}/", lead)
    await first.until(lambda frame: 'id="presence"' in frame and "Lead" in frame)
    await second.send('{"type": "typing", "kind": "reply"}')
    frames = await first.until(lambda frame: "is writing a reply" in frame)
    assert f'data-user="{lead.pk}"' in frames[-1]
    await second.close()
    await first.until(lambda frame: 'id="presence"' in frame and "Lead" not in frame)
    await first.close()
