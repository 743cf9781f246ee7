"""A customer's words go only on their own requests: whoever the status page, an email's From
address or an API token says is writing, the action itself refuses anyone but the request's
customer and their colleagues at the same organisation, and a refusal writes nothing."""

import pytest

from helpdesk.api.testing import token_client
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import ReceivedEmail
from helpdesk.models import Customer, Message, Organisation
from tests.test_mail_support import build_email
from workflows import actions
from workflows.errors import NotPermitted

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def colleague(customer):
    return Customer.objects.create(
        name="Bob Colleague", email="bob@acme.example", organisation=customer.organisation
    )


@pytest.fixture
def stranger(db):
    other = Organisation.objects.create(name="Rival plc")
    return Customer.objects.create(name="Eve", email="eve@rival.example", organisation=other)


def test_the_requests_own_customer_and_a_colleague_may_write(new_request, customer, colleague):
    actions.customer_reply(new_request.pk, customer, "Any news?")
    actions.customer_reply(new_request.pk, colleague, "Ann is away; I am following this.")
    authors = list(new_request.messages.order_by("pk").values_list("author_customer", flat=True))
    assert authors == [customer.pk, colleague.pk]


@pytest.mark.parametrize("who", ["stranger", "no customer", "no organisation on either side"])
def test_anyone_else_is_refused_and_nothing_is_written(new_request, stranger, who, footprint):
    if who == "no organisation on either side":
        Customer.objects.filter(pk=new_request.customer_id).update(organisation=None)
        stranger.organisation = None
        stranger.save()
    author = None if who == "no customer" else stranger
    before = footprint(new_request)
    with pytest.raises(NotPermitted) as refused:
        actions.customer_reply(new_request.pk, author, "Let me in.")
    assert refused.value.message == (
        "Only the request's customer or a colleague of theirs can write on it."
    )
    assert footprint(new_request) == before


def test_the_status_page_posts_as_the_requests_own_customer(client, new_request, stranger):
    stranger_request = actions.open_request(
        customer=stranger, subject="Mine", body="x", department=new_request.department
    )
    client.post(f"/status/{new_request.public_token}/reply/", {"body": "Any news?"})
    assert new_request.messages.get().author_customer_id == new_request.customer_id
    assert not stranger_request.messages.exists()


def test_an_email_from_a_colleague_is_posted_as_the_colleague(new_request, colleague):
    raw = build_email(sender="Bob <bob@acme.example>", to=reply_address(new_request), text="Hi")
    assert ingest(raw).email.outcome == ReceivedEmail.Outcome.REPLIED
    assert new_request.messages.get().author_customer == colleague


@pytest.mark.parametrize("sender", ["Eve <eve@rival.example>", "Mallory <mal@nowhere.example>"])
def test_an_email_from_anyone_else_on_the_thread_is_kept_aside(new_request, stranger, sender):
    """A stranger holding the reply address (a forwarded email) posts nothing, and no customer
    record is made for them; staff get an internal note saying what was kept aside."""
    customers = Customer.objects.count()
    received = ingest(
        build_email(sender=sender, to=reply_address(new_request), text="Let me in.")
    ).email
    assert received.outcome == ReceivedEmail.Outcome.QUARANTINED
    assert "could not post it: Only the request's customer" in received.detail
    assert not Message.objects.filter(request=new_request, kind=Message.Kind.REPLY).exists()
    assert Customer.objects.count() == customers
    [note] = new_request.messages.filter(kind=Message.Kind.NOTE)
    assert "was kept aside" in note.body
    assert not new_request.events.filter(type="customer_replied").exists()


def test_an_api_token_of_another_customer_cannot_reply(new_request, stranger, colleague):
    """Customer tokens see their own customer's requests only: the request is not found."""
    for who in (stranger, colleague):
        api = token_client("customer", customer=who)
        response = api.post(f"/api/requests/{new_request.pk}/reply/", {"body": "Let me in."})
        assert response.status_code == 404
    assert not new_request.messages.exists()
    own = token_client("customer", customer=new_request.customer)
    assert own.post(f"/api/requests/{new_request.pk}/reply/", {"body": "Hi"}).status_code == 200
    assert new_request.messages.get().author_customer_id == new_request.customer_id
