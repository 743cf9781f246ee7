"""The API does what the web does, through the same actions and permissions: scope by token,
404 outside it, 409 bodies that name the state and the allowed actions, and no 500s."""

import json

import pytest

from helpdesk.api.testing import token_client
from helpdesk.models import ContextFact, Customer, Event, Message, Request
from workflows import actions

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def as_agent(agent):
    return token_client("staff", user=agent)


@pytest.fixture
def as_customer(customer):
    return token_client("customer", customer=customer)


@pytest.fixture
def as_clerk(clerk):
    return token_client("staff", user=clerk)


def url(request, action=""):
    return f"/api/requests/{request.pk}/" + (f"{action}/" if action else "")


def footprint_all():
    return (
        list(Request.objects.values_list("pk", "status", "last_event_seq")),
        Event.objects.count(),
        Message.objects.count(),
    )


# Reading -------------------------------------------------------------------------------------


def test_staff_list_shows_what_the_user_sees_on_the_web(as_agent, make_staff, new_request):
    outsider = token_client("staff", user=make_staff("outsider", dept="fulfilment"))
    body = as_agent.get("/api/requests/").json()
    assert [r["id"] for r in body["results"]] == [new_request.pk]
    assert body["results"][0]["customer"]["email"] == "ann@acme.example"
    assert outsider.get("/api/requests/").json()["results"] == []
    assert outsider.get(url(new_request)).status_code == 404


def test_the_list_pages_by_cursor_without_repeats(as_agent, customer, departments):
    opened = [
        actions.open_request(customer=customer, subject=f"S{i}", body="b").pk for i in range(7)
    ]
    seen, cursor = [], ""
    while True:
        page = as_agent.get("/api/requests/", limit=3, cursor=cursor).json()
        seen += [r["id"] for r in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(opened, reverse=True)


@pytest.mark.parametrize("limit", ["0", "101", "x", "99999999999999999999999"])
def test_bad_list_parameters_are_400(as_agent, limit):
    response = as_agent.get("/api/requests/", limit=limit)
    assert response.status_code == 400
    assert "limit" in response.json()["error"]


def test_a_mangled_cursor_shows_the_first_page(as_agent, new_request):
    for cursor in ("garbage", "1.2.3", "99999999999999999999999.1", "-5.x"):
        assert as_agent.get("/api/requests/", cursor=cursor).status_code == 200


def test_back_office_sees_a_request_through_its_departments_task(
    as_clerk, as_agent, request_in, departments
):
    request = request_in("waiting_on_department")
    detail = as_clerk.get(url(request)).json()
    assert detail["tasks"][0]["department"]["name"] == "Finance"
    assert detail["allowed_actions"] == []  # may see it, may not work it
    assert as_agent.get(url(request)).json()["allowed_actions"] == ["hand_off"]


def test_customer_tokens_see_only_their_own_requests(as_customer, new_request, departments):
    other = Customer.objects.create(name="Bob", email="bob@example.com")
    theirs = actions.open_request(customer=other, subject="Bob's", body="b")
    listed = as_customer.get("/api/requests/").json()["results"]
    assert [r["id"] for r in listed] == [new_request.pk]
    assert set(listed[0]) == {
        "id",
        "subject",
        "body",
        "status",
        "status_text",
        "channel",
        "created_at",
    }
    assert as_customer.get(url(theirs)).status_code == 404
    assert as_customer.get(url(theirs, "events")).status_code == 404
    assert as_customer.post(url(theirs, "reply"), {"body": "hi"}).status_code == 404
    assert not theirs.messages.exists()


def test_unknown_and_oversized_ids_are_json_404s(as_agent):
    for path in (
        "/api/requests/999999/",
        "/api/requests/99999999999999999999999999/",
        "/api/requests/1/tasks/99999999999999999999999/claim/",
        "/api/nothing-here/",
    ):
        response = as_agent.get(path) if "claim" not in path else as_agent.post(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"error"}


# Opening requests ------------------------------------------------------------------------------


def test_a_customer_opens_a_request_for_themselves(as_customer, customer, departments):
    response = as_customer.post("/api/requests/", {"subject": "Hello", "body": "My order."})
    assert response.status_code == 201
    request = Request.objects.get(pk=response.json()["id"])
    assert (request.customer, request.channel) == (customer, "api")
    assert response.json()["status_text"]


@pytest.mark.parametrize(
    "smuggled", [{"customer": 1}, {"customer_email": "bob@example.com"}, {"department": 1}]
)
def test_a_customer_token_cannot_name_another_customer_or_department(
    as_customer, departments, smuggled
):
    Customer.objects.create(name="Bob", email="bob@example.com")
    before = footprint_all()
    response = as_customer.post("/api/requests/", {"subject": "s", "body": "b", **smuggled})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == list(smuggled)
    assert footprint_all() == before


def test_staff_open_requests_for_a_named_customer_in_their_department(
    as_agent, customer, departments
):
    response = as_agent.post(
        "/api/requests/",
        {"subject": "Phoned in", "body": "b", "customer_email": customer.email, "priority": 3},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["department"]["name"] == "Support" and body["priority"] == 3
    assert body["customer"]["id"] == customer.pk


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"customer": 999999}, "No such customer."),
        ({"customer_email": "nobody@example.com"}, "No such customer."),
        ({}, "Name the customer"),
        ({"customer": "me", "customer_email": "x"}, "Invalid input."),
        ({"customer": "ME", "department": "finance"}, "Invalid input."),
        ({"customer": "ME", "department": 10**30}, "Invalid input."),
        ({"customer": "ME", "priority": 9}, "Invalid input."),
        ({"customer": "ME", "subject": ""}, "Subject cannot be empty."),
        ({"customer": "ME", "subject": "x" * 201}, "Subject is too long"),
        ({"customer": "ME", "body": "\x00"}, "Invalid input."),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(
    as_agent, customer, departments, fields, message
):
    body = {"subject": "s", "body": "b", **fields}
    if body.get("customer") == "ME":
        body["customer"] = customer.pk
    before = footprint_all()
    response = as_agent.post("/api/requests/", body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert footprint_all() == before


def test_staff_cannot_open_into_a_department_they_do_not_work_in(as_agent, customer, departments):
    before = footprint_all()
    response = as_agent.post(
        "/api/requests/",
        {
            "subject": "s",
            "body": "b",
            "customer": customer.pk,
            "department": departments["finance"].pk,
        },
    )
    assert response.status_code == 400
    assert footprint_all() == before


@pytest.mark.parametrize(
    "raw, status",
    [("{not json", 400), ("[1, 2]", 400), ('"text"', 400), ("null", 400)],
)
def test_malformed_json_is_a_400(as_agent, departments, raw, status):
    assert as_agent.post("/api/requests/", raw=raw).status_code == status


def test_other_content_types_are_refused(as_agent, departments):
    response = as_agent.client.post(
        "/api/requests/", {"subject": "s", "body": "b"}, headers=as_agent.headers
    )
    assert response.status_code == 415


# Working requests ------------------------------------------------------------------------------


def test_the_whole_journey_through_the_api(as_agent, as_customer, clerk, new_request, departments):
    as_clerk = token_client("staff", user=clerk)
    assert as_agent.post(url(new_request, "reply"), {"body": "Photo?"}).json()["status"] == (
        "waiting_on_customer"
    )
    assert as_customer.post(url(new_request, "reply"), {"body": "Here."}).json()["status"] == (
        "open"
    )
    as_agent.post(url(new_request, "note"), {"body": "Looks genuine."})
    detail = as_agent.post(
        url(new_request, "hand-off"),
        {"department": departments["finance"].pk, "instructions": "Refund 42."},
    ).json()
    assert detail["status"] == "waiting_on_department"
    task_id = detail["tasks"][0]["id"]
    task_url = f"{url(new_request)}tasks/{task_id}/"
    assert as_clerk.post(task_url + "claim/").json()["tasks"][0]["status"] == "claimed"
    done = as_clerk.post(task_url + "complete/", {"answer": "Refunded."}).json()
    assert (done["status"], done["tasks"][0]["status"]) == ("open", "done")
    seq = as_agent.get(url(new_request)).json()["last_event_seq"]
    assert as_agent.post(url(new_request, "resolve"), {"expected_seq": seq}).status_code == 200
    assert as_agent.post(url(new_request, "reopen"), {"reason": "More"}).json()["status"] == "open"
    as_agent.post(url(new_request, "resolve"))
    assert as_agent.post(url(new_request, "close")).json()["status"] == "closed"
    events = as_agent.get(url(new_request, "events")).json()
    seqs = [e["seq"] for e in events["results"]]
    assert seqs == list(range(1, len(seqs) + 1)) and events["next_after"] == seqs[-1]
    assert as_agent.get(url(new_request, "events"), after=seqs[-1]).json()["results"] == []


def test_a_task_can_be_returned_with_a_reason(as_clerk, request_in):
    request = request_in("waiting_on_department")
    task = request.tasks.get()
    response = as_clerk.post(f"{url(request)}tasks/{task.pk}/return/", {"reason": "Not ours."})
    assert response.json()["tasks"][0]["status"] == "returned"


def test_a_conflict_is_409_naming_the_state_and_the_allowed_actions(as_agent, request_in):
    request = request_in("closed")
    before = footprint_all()
    response = as_agent.post(url(request, "resolve"))
    assert response.status_code == 409
    assert response.json() == {
        "error": "Cannot resolve this request now.",
        "state": "closed",
        "allowed": [],
    }
    response = as_agent.post(url(request, "reply"), {"body": "hello"})
    assert response.status_code == 409 and response.json()["state"] == "closed"
    assert footprint_all() == before


def test_a_stale_expected_seq_is_409(as_agent, request_in):
    request = request_in("open")
    stale = request.last_event_seq - 1
    response = as_agent.post(url(request, "resolve"), {"expected_seq": stale})
    assert response.status_code == 409
    assert response.json()["allowed"] == ["hand_off", "reply", "resolve"]
    assert Request.objects.get(pk=request.pk).status == "open"


def test_a_task_conflict_names_task_actions(as_clerk, request_in):
    request = request_in("waiting_on_department")
    task = request.tasks.get()
    as_clerk.post(f"{url(request)}tasks/{task.pk}/complete/", {"answer": "Done."})
    response = as_clerk.post(f"{url(request)}tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert response.json() == {
        "error": "This task cannot be claimed now.",
        "state": "done",
        "allowed": [],
    }


def test_another_requests_task_is_not_found_through_this_request(
    as_clerk, request_in, customer, agent, departments
):
    request = request_in("waiting_on_department")
    other = actions.open_request(customer=customer, subject="Other", body="b")
    other_task = actions.hand_off(
        other.pk, agent, department=departments["finance"], instructions="Other refund."
    )
    response = as_clerk.post(f"{url(request)}tasks/{other_task.pk}/claim/")
    assert response.status_code == 404
    other_task.refresh_from_db()
    assert other_task.status == "open"


def test_hand_off_to_an_unknown_department_writes_nothing(as_agent, request_in):
    request = request_in("open")
    before = footprint_all()
    response = as_agent.post(url(request, "hand-off"), {"department": 999999, "instructions": "x"})
    assert response.status_code == 400
    assert response.json() == {"error": "No such department."}
    assert footprint_all() == before


@pytest.mark.parametrize("action", ["note", "hand-off", "resolve", "reopen", "close"])
def test_customer_tokens_cannot_use_staff_actions(as_customer, new_request, action, departments):
    before = footprint_all()
    response = as_customer.post(url(new_request, action), {"body": "x"})
    assert response.status_code == 403
    assert footprint_all() == before


def test_customer_tokens_cannot_work_tasks(as_customer, request_in):
    request = request_in("waiting_on_department")
    task = request.tasks.get()
    response = as_customer.post(f"{url(request)}tasks/{task.pk}/claim/")
    assert response.status_code == 403
    assert request.tasks.get().status == "open"


def test_permissions_are_the_webs(as_clerk, request_in):
    """A back-office clerk can see the request (their task) but not reply on it."""
    request = request_in("waiting_on_department")
    response = as_clerk.post(url(request, "reply"), {"body": "Hi"})
    assert response.status_code == 403
    assert response.json() == {"error": "You cannot reply on this request."}


# Facts -----------------------------------------------------------------------------------------


def fact(about, **extra):
    return {
        "source": "erp",
        "external_id": "INV-1",
        "kind": "invoice",
        "label": "Invoice 1",
        "value": "£120 overdue",
        "link": "https://erp.example/inv/1",
        "observed_at": "2026-11-01T10:00:00Z",
        "customer": about.pk,
        **extra,
    }


def test_facts_are_upserted_by_source_and_external_id(as_agent, customer):
    created = as_agent.post("/api/facts/", fact(customer))
    assert created.status_code == 201 and created.json()["created"] is True
    updated = as_agent.post("/api/facts/", fact(customer, value="paid"))
    assert updated.status_code == 200 and updated.json() == {
        "id": created.json()["id"],
        "created": False,
    }
    assert ContextFact.objects.get().value == "paid"


def test_facts_for_an_organisation(as_agent, customer):
    body = fact(customer, organisation=customer.organisation_id)
    del body["customer"]
    assert as_agent.post("/api/facts/", body).status_code == 201


@pytest.mark.parametrize(
    "extra",
    [
        {"customer": 999999},
        {"organisation": 999999},
        {"link": "javascript:alert(1)"},
        {"label": "x" * 201},
        {"observed_at": "yesterday"},
        {"source": ""},
    ],
)
def test_bad_facts_write_nothing(as_agent, customer, extra):
    body = fact(customer, **extra)
    if "organisation" in extra:
        del body["customer"]
    assert as_agent.post("/api/facts/", body).status_code == 400
    assert not ContextFact.objects.exists()


def test_customers_and_back_office_cannot_write_facts(as_customer, as_clerk, customer):
    assert as_customer.post("/api/facts/", fact(customer)).status_code == 403
    assert as_clerk.post("/api/facts/", fact(customer)).status_code == 403
    assert not ContextFact.objects.exists()


def test_no_get_on_write_only_routes(as_agent, new_request):
    assert as_agent.get(url(new_request, "resolve")).status_code == 405
    assert as_agent.get("/api/facts/").status_code == 405
    assert json.loads(as_agent.get("/api/facts/").content)["error"]


# Cost and robustness -------------------------------------------------------------------------


def test_lists_and_feeds_cost_the_same_queries_however_many_rows(
    as_agent, as_customer, customer, agent, departments
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(api, path):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    def grow():
        request = actions.open_request(customer=customer, subject="S", body="b")
        actions.reply(request.pk, agent, "r")
        actions.hand_off(request.pk, agent, department=departments["finance"], instructions="i")
        return request

    first = grow()
    for api in (as_agent, as_customer):  # the first call of a token also records its use
        cost(api, "/api/requests/")
    small = [cost(api, "/api/requests/") for api in (as_agent, as_customer)]
    small_feed = [cost(api, url(first, "events")) for api in (as_agent, as_customer)]
    for _ in range(6):
        last = grow()
        actions.add_internal_note(first.pk, agent, "more")
        actions.reply(first.pk, agent, "more")
    assert [cost(api, "/api/requests/") for api in (as_agent, as_customer)] == small
    assert [cost(api, url(first, "events")) for api in (as_agent, as_customer)] == small_feed
    assert cost(as_agent, url(last)) == cost(as_agent, url(first))


@pytest.mark.parametrize(
    "path, body",
    [
        ("events/?after=9223372036854775807", None),
        ("events/?after=-1", None),
        ("events/?after=1e3", None),
        ("reply/", {"body": "x", "expected_seq": 9223372036854775807}),
        ("reply/", {"body": "x", "expected_seq": -1}),
        ("reply/", {"body": ["a"]}),
        ("reply/", {"body": {"a": 1}}),
        ("reply/", {"body": None}),
        ("reply/", {"body": "x" * 20_001}),
        ("hand-off/", {"department": 9223372036854775807, "instructions": "x"}),
        ("hand-off/", {"department": 1, "instructions": "x", "due_at": "not a date"}),
        ("hand-off/", {"department": 1, "instructions": "x", "due_at": "1999-01-01T00:00:00Z"}),
        ("tasks/9223372036854775807/claim/", {}),
        ("reopen/", {"reason": 5}),
    ],
)
def test_odd_input_gets_a_4xx_never_a_500(as_agent, request_in, path, body):
    request = request_in("open")
    if body is None:
        response = as_agent.get(url(request) + path)
    else:
        response = as_agent.post(url(request) + path, body)
    assert 200 <= response.status_code < 500, response.content
    assert response.status_code in (200, 400, 404, 409) and "json" in response["Content-Type"]
