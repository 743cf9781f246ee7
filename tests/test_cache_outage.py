"""Redis out of reach costs what is cached, never the request.

The cache (shared Redis when scaled) holds presence, rate-limit counters, sessions and the
rendered timelines. Pointed at an address where nothing answers, it answers as a miss does,
and what reads or counts through it keeps working: logins, password resets, the status-link
resend, API token checks, a staff socket joining presence, pages rendering their timelines.
tests/test_fault_redis_killed.py kills a real Redis under a live server.
"""

import socket

import pytest
from django.core.cache import cache
from django.test import Client

from bench.fanout.servers import free_port
from tests.live_processes import TEST_PORTS
from tests.realtime_support import close_worker_connections, connect  # noqa: F401
from workflows import actions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unreachable_redis(settings):
    """The scaled cache, at a port of the test range that is bound but never listens: every
    connection is refused, as when Redis has just been killed."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", free_port(ports=TEST_PORTS)))
        port = holder.getsockname()[1]
        settings.CACHES = {
            "default": {
                "BACKEND": "helpdesk.cache.DegradingRedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }
        yield


def test_every_cache_call_answers_as_a_miss(unreachable_redis):
    assert cache.get("k") is None
    assert cache.get("k", 7) == 7
    assert cache.get_many(["k", "j"]) == {}
    assert not cache.has_key("k")
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.set_many({"k": 1, "j": 2}) == ["k", "j"]
    assert cache.get_or_set("k", 5) == 5
    assert cache.incr("k") is None
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    cache.delete_many(["k", "j"])
    assert cache.clear() is False


def test_logging_in_needs_no_cache(unreachable_redis, agent, client):
    wrong = client.post("/accounts/login/", {"username": "agent", "password": "nope"})
    assert wrong.status_code == 200  # the form again, with its error; not limited, no 500
    right = client.post("/accounts/login/", {"username": "agent", "password": "pw"})
    assert right.status_code == 302
    assert client.get("/console/").status_code == 200


def test_pages_render_their_timelines_without_the_cache(unreachable_redis, agent, new_request):
    actions.add_internal_note(new_request.pk, agent, "Written while Redis is down.")
    staff = Client()
    staff.force_login(agent)
    assert "Written while Redis is down." in staff.get(f"/console/r/{new_request.pk}/").text
    status = Client().get(f"/status/{new_request.public_token}/")
    assert status.status_code == 200 and "Order 42 arrived broken." in status.text


def test_asking_for_status_links_needs_no_cache(unreachable_redis, new_request, client):
    answer = client.post("/status/resend/", {"email": "ann@acme.example"})
    assert answer.status_code == 200


def test_asking_for_a_password_reset_needs_no_cache(unreachable_redis, agent, client):
    answer = client.post("/accounts/password-reset/", {"email": "agent@nucleus.example"})
    assert answer.status_code == 302


def test_a_wrong_api_token_is_refused_without_the_cache(unreachable_redis, client):
    answer = client.get("/api/requests/", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401


async def test_a_staff_socket_joins_without_the_cache(unreachable_redis, new_request, agent):
    staff = await connect(f"/ws/request/{new_request.pk}/", agent)
    frame = (await staff.until(lambda frame: 'id="presence"' in frame))[-1]
    assert "Agent" not in frame  # nobody could be recorded, and nothing failed
    await staff.close()
