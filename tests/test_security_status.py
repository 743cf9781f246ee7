"""The status link is the customer's only key: unguessable, all wrong keys alike, revocable, and
the page neither leaks its URL to other sites nor gets indexed."""

import re

import pytest
from django.test import Client

from helpdesk.models import Request
from workflows import actions

pytestmark = pytest.mark.django_db

_CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*"')


@pytest.fixture
def other_request(customer, departments):
    return actions.open_request(
        customer=customer,
        subject="Second order",
        body="Another one.",
        department=departments["support"],
    )


def wrong_tokens(token):
    return {
        "made up": "A" * len(token),
        "truncated by one": token[:-1],
        "first half": token[: len(token) // 2],
        "one more character": token + "x",
        "last character changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "upper-cased": token.upper() if token.upper() != token else token.lower(),
        "percent-encoded dot": "%2E",
        "padded with spaces": f" {token} ",
    }


def answer(method, url):
    client = Client()
    response = client.get(url) if method == "GET" else client.post(url, {"body": "hi"})
    return response.status_code, _CSRF.sub(b"", response.content)


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("POST", "reply/"), ("GET", "reply-form/")]
)
def test_every_wrong_token_gets_the_identical_404(new_request, method, suffix):
    baseline = answer(method, f"/status/{'Z' * 43}/{suffix}")
    assert baseline[0] == 404

    for label, token in wrong_tokens(new_request.public_token).items():
        assert answer(method, f"/status/{token}/{suffix}") == baseline, label


def test_another_requests_token_opens_that_request_only(new_request, other_request):
    page = Client().get(f"/status/{other_request.public_token}/").content.decode()

    assert "Second order" in page
    assert new_request.subject not in page


def test_a_revoked_token_gets_the_same_404_and_the_new_one_works(new_request, agent):
    old = new_request.public_token
    baseline = answer("GET", f"/status/{'Z' * 43}/")

    actions.revoke_status_link(new_request.pk, agent)

    assert answer("GET", f"/status/{old}/") == baseline
    assert answer("POST", f"/status/{old}/reply/")[0] == 404
    fresh = Request.objects.get(pk=new_request.pk).public_token
    assert fresh != old
    assert Client().get(f"/status/{fresh}/").status_code == 200


def test_a_reply_through_a_revoked_token_writes_nothing(new_request, agent, footprint):
    old = new_request.public_token
    actions.revoke_status_link(new_request.pk, agent)
    before = footprint(new_request)

    Client().post(f"/status/{old}/reply/", {"body": "sneaky"})

    assert footprint(new_request) == before


@pytest.mark.parametrize("suffix", ["", "reply-form/"])
def test_the_page_sends_no_referrer_and_is_not_indexed(new_request, suffix):
    response = Client().get(f"/status/{new_request.public_token}/{suffix}")

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]


def test_tokens_carry_at_least_128_random_bits(customer, departments):
    tokens = {
        actions.open_request(
            customer=customer, subject=f"n{i}", body="b", department=departments["support"]
        ).public_token
        for i in range(20)
    }
    assert len(tokens) == 20
    # URL-safe base64: six bits a character.
    assert all(len(t) * 6 >= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)
