"""The customer's reply form follows the request's state without being pushed (it holds a
CSRF token): it re-fetches itself after each push and only changes when open/closed changed."""

import pytest
from django.test import Client

from workflows import actions

pytestmark = pytest.mark.django_db


def form_url(req, shown):
    return f"/status/{req.public_token}/reply-form/?open={shown}"


def test_the_form_stays_as_it_is_while_the_request_stays_open(request_in):
    req = request_in("open")
    response = Client().get(form_url(req, 1), headers={"HX-Request": "true"})
    assert response.status_code == 204  # nothing swapped: the customer's text stays


def test_the_form_gives_way_to_a_notice_when_the_request_closes(request_in, agent):
    req = request_in("open")
    actions.resolve(req.pk, agent)
    actions.close(req.pk, agent)
    closed = Client().get(form_url(req, 1)).content.decode()
    assert "This request is closed" in closed and "<textarea" not in closed
    assert "open=0" in closed  # the notice asks with its own state next time
    assert Client().get(form_url(req, 0)).status_code == 204


def test_a_wrong_token_is_404(request_in):
    assert Client().get("/status/not-a-token/reply-form/?open=1").status_code == 404
