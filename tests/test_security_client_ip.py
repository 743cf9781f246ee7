"""Rate limits behind reverse proxies: the client address is the one the trusted proxies saw
(NUCLEUS_TRUSTED_PROXIES hops, right-most untrusted X-Forwarded-For entry); whatever a client
writes further left is ignored, and with no proxies configured the header is ignored whole."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from helpdesk.client_ip import client_ip
from tests.test_security_login import ADDRESS_LIMIT, log_in, logged_in

PROXY = "10.0.0.5"
CLIENT, COLLEAGUE, SPOOFED = "203.0.113.9", "203.0.113.10", "198.51.100.66"
RESEND_ADDRESS_LIMIT = 10


@pytest.fixture(autouse=True)
def fresh_limits(fast_passwords):
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        (0, PROXY, CLIENT, PROXY),  # not configured: the header is ignored
        (1, PROXY, CLIENT, CLIENT),
        (1, PROXY, f"{SPOOFED}, {CLIENT}", CLIENT),  # the client's own entry is ignored
        (1, PROXY, f"{SPOOFED},{SPOOFED} , {CLIENT}", CLIENT),
        (2, "10.0.0.6", f"{SPOOFED}, {CLIENT}, {PROXY}", CLIENT),
        (2, "10.0.0.6", CLIENT, "10.0.0.6"),  # did not come through both proxies
        (1, PROXY, "", PROXY),
        (1, PROXY, "not-an-address", PROXY),
        (1, "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_address(settings, hops, remote, forwarded, expected):
    settings.NUCLEUS_TRUSTED_PROXIES = hops
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    assert client_ip(request) == expected


def through_proxy(address, *, spoofed=None):
    """A browser at `address` behind our proxy; `spoofed` is what it writes in the header."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def fail_logins_from(address, count):
    """Guesses across usernames, each claiming another address in front of the real one."""
    for attempt in range(count):
        log_in(
            f"guess{attempt}", "wrong", client=through_proxy(address, spoofed=f"192.0.2.{attempt}")
        )


def test_behind_one_proxy_a_guesser_is_limited_however_they_spoof_and_others_are_not(
    settings, agent
):
    settings.NUCLEUS_TRUSTED_PROXIES = 1
    fail_logins_from(CLIENT, ADDRESS_LIMIT)
    assert (
        log_in("agent", "pw", client=through_proxy(CLIENT, spoofed="192.0.2.250")).status_code
        == 429
    )
    assert logged_in(log_in("agent", "pw", client=through_proxy(COLLEAGUE)))


def test_with_no_proxy_configured_the_header_changes_nothing(agent):
    fail_logins_from(CLIENT, ADDRESS_LIMIT)
    # Everyone arriving from the proxy's address shares its tally, whatever they claim.
    assert log_in("agent", "pw", client=through_proxy(COLLEAGUE)).status_code == 429
    assert logged_in(log_in("agent", "pw", client=Client(REMOTE_ADDR="10.0.0.99")))


@pytest.mark.parametrize("hops", [0, 1])
def test_resend_my_status_link_is_limited_per_client(settings, db, hops):
    settings.NUCLEUS_TRUSTED_PROXIES = hops
    codes = [
        through_proxy(CLIENT, spoofed=f"192.0.2.{i}")
        .post("/status/resend/", {"email": f"n{i}@acme.example"})
        .status_code
        for i in range(RESEND_ADDRESS_LIMIT + 1)
    ]
    assert codes == [200] * RESEND_ADDRESS_LIMIT + [429]
    colleague = through_proxy(COLLEAGUE).post("/status/resend/", {"email": "x@acme.example"})
    assert colleague.status_code == (200 if hops else 429)


@pytest.mark.parametrize("hops", [0, 1])
def test_api_token_guessing_is_limited_per_client(settings, db, hops):
    settings.NUCLEUS_TRUSTED_PROXIES = hops
    settings.NUCLEUS_API_AUTH_FAILURE_LIMIT = 3

    def guess(address, spoofed=None):
        client = through_proxy(address, spoofed=spoofed)
        return client.get(
            "/api/requests/", headers={"Authorization": "Bearer nuc_wrong"}
        ).status_code

    assert [guess(CLIENT, spoofed=f"192.0.2.{i}") for i in range(4)] == [401, 401, 401, 429]
    assert guess(COLLEAGUE) == (401 if hops else 429)


@pytest.mark.parametrize(
    ("value", "outcome"), [(None, "0"), ("2", "2"), ("two", "must be a whole number")]
)
def test_the_setting_comes_from_the_environment_and_refuses_nonsense(value, outcome):
    env = {k: v for k, v in os.environ.items() if k != "NUCLEUS_TRUSTED_PROXIES"}
    if value is not None:
        env["NUCLEUS_TRUSTED_PROXIES"] = value
    run = subprocess.run(
        [sys.executable, "-c", "import helpdesk.settings as s; print(s.NUCLEUS_TRUSTED_PROXIES)"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    if outcome.isdigit():
        assert (run.returncode, run.stdout.strip()) == (0, outcome)
    else:
        assert run.returncode != 0 and outcome in run.stderr
