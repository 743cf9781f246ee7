"""Who may open which live socket: sessions for staff, the token for customers, and the Origin."""

import pytest

from realtime.consumers import FORBIDDEN
from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    handshake_refusal,
    refusal,
    sync,
)
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_is_refused_on_staff_sockets(new_request):
    assert await refusal(f"/ws/request/{new_request.pk}/") == FORBIDDEN
    assert await refusal("/ws/live/") == FORBIDDEN


async def test_staff_of_another_department_is_refused(new_request, make_staff):
    outsider = await sync(make_staff)("maker", dept="manufacturing")

    assert await refusal(f"/ws/request/{new_request.pk}/", outsider) == FORBIDDEN


async def test_a_department_sees_a_request_once_it_holds_a_task_on_it(request_in, clerk):
    path = f"/ws/request/{(await sync(request_in)('open')).pk}/"
    assert await refusal(path, clerk) == FORBIDDEN

    await sync(request_in)("waiting_on_department")  # handed to finance

    socket = await connect(path, clerk)
    await socket.close()


async def test_a_missing_request_is_refused_like_a_hidden_one(agent):
    assert await refusal("/ws/request/999999/", agent) == FORBIDDEN


async def test_a_foreign_origin_is_refused_at_the_handshake(new_request, agent):
    staff_path = f"/ws/request/{new_request.pk}/"
    status_path = f"/ws/status/{new_request.public_token}/"
    for origin in (b"http://evil.example", b"null", None):
        await handshake_refusal(staff_path, agent, origin=origin)
        await handshake_refusal(status_path, origin=origin)
        await handshake_refusal("/ws/live/", agent, origin=origin)

    # The same sockets from the site's own origin are accepted.
    for socket in (
        await connect(staff_path, agent),
        await connect(status_path),
        await connect("/ws/live/", agent),
    ):
        await socket.close()


async def test_wrong_truncated_and_revoked_status_tokens_are_refused(new_request, agent):
    token = new_request.public_token
    for wrong in ("x" * len(token), token[:-1], token + "a", token.upper()):
        assert await refusal(f"/ws/status/{wrong}/") == FORBIDDEN

    await sync(actions.assign)(new_request.pk, agent, agent)
    await sync(actions.revoke_status_link)(new_request.pk, agent)

    assert await refusal(f"/ws/status/{token}/") == FORBIDDEN
    await new_request.arefresh_from_db()
    socket = await connect(f"/ws/status/{new_request.public_token}/")
    await socket.close()


async def test_a_status_socket_cannot_reach_another_request(customer, departments):
    first, second = [
        await sync(actions.open_request)(
            customer=customer,
            subject=f"Request {n}",
            body="Body",
            department=departments["support"],
        )
        for n in (1, 2)
    ]
    # The route takes a token only: a request id in its place is just a wrong token.
    assert await refusal(f"/ws/status/{second.pk}/") == FORBIDDEN
    socket = await connect(f"/ws/status/{first.public_token}/", after=0)
    frames = await socket.until_seq(1)
    assert "Request 2" not in "".join(frames)
    await socket.close()


async def test_replacing_the_status_link_closes_its_open_sockets(new_request, agent):
    old = await connect(f"/ws/status/{new_request.public_token}/")
    also_old = await connect(f"/ws/status/{new_request.public_token}/", after=0)
    staff = await connect(f"/ws/request/{new_request.pk}/", agent)
    await sync(actions.assign)(new_request.pk, agent, agent)

    await sync(actions.revoke_status_link)(new_request.pk, agent)

    assert await old.until_closed() == FORBIDDEN
    assert await also_old.until_closed() == FORBIDDEN
    await new_request.arefresh_from_db()
    new = await connect(f"/ws/status/{new_request.public_token}/")
    await sync(actions.reply)(new_request.pk, agent, "Here is your new link.")
    await new_request.arefresh_from_db()
    # The new link's socket and the staff socket carry on.
    await new.until(lambda frame: "Here is your new link." in frame)
    await staff.until_seq(new_request.last_event_seq)
    for socket in (new, staff):
        await socket.close()
