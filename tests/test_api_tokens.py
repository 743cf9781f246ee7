"""API tokens: random, stored hashed, shown once, scoped, expiring, revocable; bearer only (a
logged-in browser's session cookie opens nothing); guessing is rate limited."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from helpdesk.api import tokens
from helpdesk.api.models import ApiToken
from helpdesk.api.testing import TokenClient, token_client
from workflows.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("fast_passwords")

LIST = "/api/requests/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the failure counter lives in the cache
    yield
    cache.clear()


def all_stored_text():
    """Every value of every column of the token table, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_a_token_is_random_and_only_its_hash_is_stored(agent):
    token, secret = tokens.issue_token(scope="staff", user=agent)
    _, other_secret = tokens.issue_token(scope="staff", user=agent)
    assert secret.startswith("nuc_") and len(secret) >= 4 + 43  # 32 random bytes, base64
    assert secret != other_secret
    stored = all_stored_text()
    assert secret not in stored and secret[len("nuc_") :] not in stored
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.hint == secret[:8]


def test_the_command_prints_the_token_once_and_it_works(agent, customer):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "--user", "agent", "--scope", "staff", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert "shown once" in err.getvalue() and secret not in err.getvalue()
    assert TokenClient(secret).get(LIST).status_code == 200

    out = io.StringIO()
    call_command(
        "create_api_token",
        "--scope=customer",
        f"--customer-email={customer.email}",
        "--days=7",
        stdout=out,
        stderr=io.StringIO(),
    )
    token = ApiToken.objects.get(key_hash=tokens.hash_secret(out.getvalue().strip()))
    assert token.customer == customer and token.user is None
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


@pytest.mark.parametrize(
    "args",
    [
        ["--scope=staff"],
        ["--scope=staff", "--user=nobody"],
        ["--scope=customer", "--customer-email=nobody@example.com"],
        ["--scope=customer", "--user=agent"],
        ["--scope=staff", "--user=agent", "--days=0"],
    ],
)
def test_the_command_refuses_tokens_without_a_proper_owner(agent, args):
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_only_staff_members_get_staff_tokens(db, customer):
    from django.contrib.auth.models import User

    stranger = User.objects.create_user("stranger")
    with pytest.raises(InvalidInput):
        tokens.issue_token(scope="staff", user=stranger)
    with pytest.raises(InvalidInput):
        tokens.issue_token(scope="customer", customer=None)
    assert not ApiToken.objects.exists()


def test_the_admin_shows_a_new_token_once(admin_client, agent):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {
            "name": "crm",
            "scope": "staff",
            "user": agent.pk,
            "expires_at_0": (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d"),
            "expires_at_1": "12:00:00",
        },
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert token.key_hash == tokens.hash_secret(secret)
    assert "no-store" in response["Cache-Control"]
    change_page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert secret not in change_page.content.decode()


def test_last_used_is_recorded(agent):
    api = token_client("staff", user=agent)
    assert api.token.last_used_at is None
    assert api.get(LIST).status_code == 200
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


@pytest.mark.parametrize("state", ["expired", "revoked", "inactive user", "wrong", "truncated"])
def test_unusable_tokens_get_401(agent, state):
    api = token_client("staff", user=agent)
    assert api.get(LIST).status_code == 200
    if state == "expired":
        ApiToken.objects.filter(pk=api.token.pk).update(expires_at=timezone.now())
    elif state == "revoked":
        assert tokens.revoke(ApiToken.objects.filter(pk=api.token.pk)) == 1
    elif state == "inactive user":
        agent.is_active = False
        agent.save()
    elif state == "wrong":
        api = TokenClient("nuc_" + "A" * 43)
    else:
        api = TokenClient(api.secret[:-1])
    response = api.get(LIST)
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid, expired or revoked token."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_admin_action_revokes(admin_client, agent):
    api = token_client("staff", user=agent)
    admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [api.token.pk]},
    )
    assert api.get(LIST).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    ["", "Token abc", "Bearer", "Bearer a b", "Basic YWdlbnQ6cHc=", "Bearer \u00e9t\u00e9"],
)
def test_only_a_bearer_token_authenticates(agent, authorization):
    client = Client()
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(LIST, headers=headers)
    assert response.status_code == 401
    assert "error" in response.json()


def test_a_session_cookie_opens_nothing(agent, new_request):
    """A logged-in browser on another origin sends its cookie: the API ignores it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get(f"/console/r/{new_request.pk}/").status_code == 200  # the session works
    for response in (
        browser.get(LIST, headers={"Origin": "https://evil.example"}),
        browser.get(f"/api/requests/{new_request.pk}/"),
        browser.post(
            f"/api/requests/{new_request.pk}/note/",
            '{"body": "cross-site"}',
            content_type="application/json",
            headers={"Origin": "https://evil.example"},
        ),
    ):
        assert response.status_code == 401
    assert not new_request.messages.exists()


def test_repeated_failures_are_rate_limited_then_even_good_tokens_wait(agent, settings):
    settings.NUCLEUS_API_AUTH_FAILURE_LIMIT = 5
    good = token_client("staff", user=agent)
    bad = TokenClient("nuc_wrong")
    assert [bad.get(LIST).status_code for _ in range(5)] == [401] * 5
    refused = bad.get(LIST)
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert good.get(LIST).status_code == 429
    cache.clear()  # the window passed
    assert good.get(LIST).status_code == 200


def test_the_openapi_schema_is_public_and_says_bearer(client):
    response = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/requests/{id}/events/" in schema["paths"]


def test_the_schema_generates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())
