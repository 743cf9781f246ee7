"""Password reset by email: same answer for strangers, a working one-time link, automatic-mail
headers, and a limit so the form cannot flood a mailbox."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client

from helpdesk.auth_views import RESET_LIMITED_MESSAGE, RESET_RATES
from helpdesk.mail.outbound import LOOP_HEADER

pytestmark = pytest.mark.django_db

URL = "/accounts/password-reset/"


@pytest.fixture(autouse=True)
def fresh_limits(fast_passwords):
    cache.clear()


@pytest.fixture
def colleague(make_staff):
    user = make_staff("ada")
    user.email = "ada@nucleus.example"
    user.set_password("old-password-1")
    user.save()
    return user


def test_login_page_links_to_reset():
    assert URL in Client().get("/accounts/login/").content.decode()


def test_a_colleague_gets_a_one_time_link_that_sets_a_new_password(colleague):
    client = Client()
    response = client.post(URL, {"email": "ADA@nucleus.example"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@nucleus.example"]
    assert (
        sent.extra_headers["Auto-Submitted"] == "auto-generated"
        and LOOP_HEADER in sent.extra_headers
    )

    link = re.search(r"http://testserver(/accounts/reset/\S+/)", sent.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = {"new_password1": "a-much-better-one-7", "new_password2": "a-much-better-one-7"}
    done = client.post(form_page.redirect_chain[-1][0], new)
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    colleague.refresh_from_db()
    assert colleague.check_password("a-much-better-one-7")
    # The link worked once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_unknown_addresses_get_the_same_answer_and_no_mail(colleague):
    known = Client().post(URL, {"email": "ada@nucleus.example"})
    unknown = Client().post(URL, {"email": "nobody@nucleus.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["ada@nucleus.example"]]


def test_one_address_cannot_be_flooded(colleague):
    limit = int(RESET_RATES["email"].split("/")[0])
    for _ in range(limit):
        assert Client().post(URL, {"email": "ada@nucleus.example"}).status_code == 302
    refused = Client().post(URL, {"email": "Ada@Nucleus.example"})
    assert refused.status_code == 429
    assert RESET_LIMITED_MESSAGE in refused.content.decode()
    assert len(mail.outbox) == limit


def test_one_client_cannot_ask_about_every_address(colleague):
    limit = int(RESET_RATES["ip"].split("/")[0])
    client = Client()
    for n in range(limit):
        client.post(URL, {"email": f"guess{n}@nucleus.example"})
    assert client.post(URL, {"email": "ada@nucleus.example"}).status_code == 429
    assert mail.outbox == []


def test_a_malformed_address_is_a_form_error_not_a_mail(colleague):
    response = Client().post(URL, {"email": "not an address"})
    assert response.status_code == 200
    assert "valid email" in response.content.decode()
    assert mail.outbox == [] and User.objects.get(pk=colleague.pk).check_password("old-password-1")
