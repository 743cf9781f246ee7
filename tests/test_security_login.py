"""Logging in: a brake on guessing, no hint whether a username exists, no open redirect."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from helpdesk.auth_views import FAILED_LOGIN_RATES, LIMITED_MESSAGE

LOGIN = "/accounts/login/"
USERNAME_LIMIT = int(FAILED_LOGIN_RATES["username"].split("/")[0])
ADDRESS_LIMIT = int(FAILED_LOGIN_RATES["ip"].split("/")[0])
# Fresh per response, whoever asks: the CSRF token in the form and in htmx's headers.
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*"')


@pytest.fixture(autouse=True)
def fresh_limits(fast_passwords):
    cache.clear()
    yield
    cache.clear()


def log_in(username, password, client=None, **extra):
    return (client or Client()).post(LOGIN, {"username": username, "password": password, **extra})


def logged_in(response):
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_failed_logins_are_limited_with_a_clear_429(agent):
    for _ in range(USERNAME_LIMIT):
        assert log_in("agent", "wrong").status_code == 200

    refused = log_in("agent", "pw")  # the right password, too late

    assert refused.status_code == 429
    assert LIMITED_MESSAGE in refused.content.decode()
    assert not logged_in(refused)


def test_successful_logins_do_not_count_towards_the_limit(agent):
    for _ in range(USERNAME_LIMIT + 2):
        assert logged_in(log_in("agent", "pw"))


def test_the_limit_is_per_username(agent, lead):
    for _ in range(USERNAME_LIMIT):
        log_in("agent", "wrong")

    assert log_in("agent", "pw").status_code == 429
    assert logged_in(log_in("lead", "pw"))


def test_one_address_guessing_across_many_usernames_is_limited(agent):
    for attempt in range(ADDRESS_LIMIT):
        log_in(f"guess{attempt}", "wrong")

    assert log_in("agent", "pw").status_code == 429
    elsewhere = log_in("agent", "pw", client=Client(REMOTE_ADDR="192.0.2.7"))
    assert logged_in(elsewhere)


def test_usernames_are_counted_case_insensitively(agent):
    for attempt in range(USERNAME_LIMIT):
        log_in("AGENT" if attempt % 2 else "agent", "wrong")

    assert log_in("Agent", "pw").status_code == 429


def normalised(response, username):
    body = _CSRF.sub("", response.content.decode())
    return response.status_code, body.replace(f'value="{username}"', 'value="?"')


def test_unknown_users_and_wrong_passwords_get_the_same_answer(agent):
    unknown = log_in("nobody-here", "wrong")
    wrong_password = log_in("agent", "wrong")

    assert normalised(unknown, "nobody-here") == normalised(wrong_password, "agent")
    assert unknown.status_code == 200


def test_an_inactive_user_with_the_right_password_is_answered_like_a_stranger(agent):
    agent.is_active = False
    agent.save()

    inactive = log_in("agent", "pw")

    assert normalised(inactive, "agent") == normalised(log_in("ghost", "pw"), "ghost")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "http://evil.example/console/",
        "//evil.example",
        "//evil.example/console/",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        " //evil.example",
    ],
)
def test_next_never_leaves_this_host(agent, target):
    answer = log_in("agent", "pw", next=target)

    assert logged_in(answer)
    assert answer["Location"] == "/"


def test_next_follows_a_path_on_this_host(agent):
    answer = log_in("agent", "pw", next="/inbox/?tab=mine")

    assert answer["Location"] == "/inbox/?tab=mine"
