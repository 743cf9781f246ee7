"""A websocket from a foreign Origin is refused at the handshake, and the refusal is logged."""

import logging

import pytest

from tests.realtime_support import (  # noqa: F401 (an autouse fixture)
    close_worker_connections,
    connect,
    handshake_refusal,
)

pytestmark = pytest.mark.django_db(transaction=True)

LOGGER = "realtime.origin"


def refusals(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://testserver.evil.example",
        b"https://evil.example:443",
        b"null",
    ],
)
async def test_a_foreign_origin_is_refused_and_logged(new_request, agent, caplog, origin):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    path = f"/ws/request/{new_request.pk}/"

    await handshake_refusal(path, agent, origin=origin)

    [line] = refusals(caplog)
    assert repr(origin.decode()) in line
    assert path in line
    assert caplog.records[-1].levelno == logging.WARNING


async def test_a_missing_origin_is_refused_and_logged(new_request, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    path = f"/ws/status/{new_request.public_token}/"

    await handshake_refusal(path, origin=None)

    [line] = refusals(caplog)
    assert "None" in line and "/ws/status/" in line


async def test_the_sites_own_origin_is_accepted_and_not_logged(new_request, agent, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)

    socket = await connect(f"/ws/request/{new_request.pk}/", agent)
    await socket.close()

    assert refusals(caplog) == []
