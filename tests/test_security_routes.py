"""Object-level authorisation, route by route.

Every URL route (from the resolver) and every websocket route must have an entry in the matrix
below, or the test fails: a new route cannot ship without someone deciding who may use it. Each
entry is then checked by requesting the route as each role. A route that is refused answers as
if the object did not exist (404) to staff who cannot see it, asks anonymous visitors to log in
(or 401 on the API), and nested objects must belong to their parent in the URL.

Roles: request A is owned by support (agent, lead, admin) and handed to finance (back_office,
which works the task); manufacturing (other_department) has nothing to do with it. The customer
holds A's status link (and, on the API, a customer token); everyone else tries a made-up token.
"""

import json
import secrets

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from helpdesk.api.testing import token_client
from helpdesk.mail.inbound import ingest
from helpdesk.mail.models import Attachment
from helpdesk.models import Department, Request
from realtime.consumers import FORBIDDEN
from realtime.routing import websocket_urlpatterns
from tests.realtime_support import attempt
from tests.test_mail_support import build_email
from workflows import actions
from workflows.models import Notification

ROLES = ("anonymous", "customer", "other_department", "back_office", "agent", "lead", "admin")
STAFF_ROLES = ROLES[2:]
SKIPPED_NAMESPACES = ("admin",)

# Expectations: an HTTP status, LOGIN (a redirect to the login page) or OK (served: any answer
# that is not a refusal, so a 400 for a bare form or a 409 for a state it cannot take counts).
LOGIN = "login"
OK = "ok"


def roles(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


def console(**allowed):
    """Console pages: for the owning department's agents, leads and admins."""
    return roles(404, anonymous=LOGIN, customer=LOGIN, agent=OK, lead=OK, admin=OK, **allowed)


def inbox_task():
    """Task pages: for the department holding the task (and admins)."""
    return roles(404, anonymous=LOGIN, customer=LOGIN, back_office=OK, admin=OK)


def api(**allowed):
    """The API: bearer tokens only; a request outside the token's scope is not found."""
    return roles(404, anonymous=401, agent=OK, lead=OK, admin=OK, **allowed)


def api_task():
    """The owning department sees its request's tasks but works only its own."""
    return roles(404, anonymous=401, customer=403, back_office=OK, admin=OK, agent=403, lead=403)


MATRIX = {
    "home": {"GET": roles(302)},
    "login": {"GET": roles(200)},
    "logout": {"POST": roles(302)},
    # Anyone may ask for a reset link; the answer never says whether the address is known.
    "password_reset": {"GET": roles(200), "POST": roles(302)},
    "password_reset_done": {"GET": roles(200)},
    "password_reset_confirm": {"GET": roles(OK)},
    "password_reset_complete": {"GET": roles(200)},
    "console:queue": {
        # Back-office staff have no queue: they are sent to their inbox.
        "GET": roles(OK, anonymous=LOGIN, customer=LOGIN)
    },
    # Each person's own notifications: the list is theirs whatever their role.
    "console:notifications": {"GET": roles(OK, anonymous=LOGIN, customer=LOGIN)},
    "console:notification_badge": {"GET": roles(OK, anonymous=LOGIN, customer=LOGIN)},
    "console:notifications_read": {"POST": roles(OK, anonymous=LOGIN, customer=LOGIN)},
    "console:request": {"GET": console(back_office=OK)},
    "console:request_actions": {"GET": console(back_office=OK)},
    "console:history": {"GET": console(back_office=OK)},
    # The representative action is an internal note, which a department holding a task may add.
    "console:act": {"POST": console(back_office=OK)},
    "inbox:tasks": {"GET": roles(OK, anonymous=LOGIN, customer=LOGIN)},
    "inbox:task": {"GET": inbox_task()},
    "inbox:task_panel": {"GET": inbox_task()},
    "inbox:act": {"POST": inbox_task()},
    "mail:resend": {"GET": roles(200), "POST": roles(200)},
    "mail:attachment": {"GET": console(back_office=OK)},
    # The provider's webhook answers to its shared secret only; unconfigured it does not exist.
    "mail:inbound": {"POST": roles(404)},
    "status:page": {"GET": roles(404, customer=200)},
    "status:reply": {"POST": roles(404, customer=302)},
    "status:reply_form": {"GET": roles(404, customer=200)},
    # Without ?before= the customer gets a 400 that says what is missing: served, not refused.
    "status:history": {"GET": roles(404, customer=OK)},
    "api:schema": {"GET": roles(200)},
    "api:requests": {"GET": roles(200, anonymous=401), "POST": roles(OK, anonymous=401)},
    "api:request": {"GET": api(customer=OK, back_office=OK)},
    "api:events": {"GET": api(customer=OK, back_office=OK)},
    # A department holding a task sees the request: it may note, not work the request itself.
    "api:reply": {"POST": api(customer=OK, back_office=403)},
    "api:note": {"POST": api(customer=403, back_office=OK)},
    "api:hand-off": {"POST": api(customer=403, back_office=403)},
    "api:resolve": {"POST": api(customer=403, back_office=403)},
    "api:reopen": {"POST": api(customer=403, back_office=403)},
    "api:close": {"POST": api(customer=403, back_office=403)},
    "api:task-claim": {"POST": api_task()},
    "api:task-complete": {"POST": api_task()},
    "api:task-return": {"POST": api_task()},
    "api:facts": {"POST": roles(OK, anonymous=401, customer=403)},
    "api:<catch-all>": {"GET": roles(404)},
}

SOCKETS = {
    "ws/request/<int:pk>/": roles(FORBIDDEN, back_office=OK, agent=OK, lead=OK, admin=OK),
    "ws/status/<str:token>/": roles(FORBIDDEN, customer=OK),
    "ws/live/": roles(OK, anonymous=FORBIDDEN, customer=FORBIDDEN),
}


def walk(patterns, prefix="", namespace=None):
    """(name, route) for every URL pattern, includes flattened; the admin's own are skipped."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = entry.namespace or namespace
            yield from walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or "<catch-all>"
            yield (f"{namespace}:{name}" if namespace else name), route


def url_routes():
    return dict(walk(get_resolver().url_patterns))


def test_every_url_route_has_an_entry_in_the_matrix():
    routes = url_routes()
    assert not any(route.startswith("static") for route in routes.values())
    missing = sorted(set(routes) - set(MATRIX))
    assert not missing, f"routes with no permission entry: {missing}"
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_every_websocket_route_has_an_entry_in_the_matrix():
    routes = {str(p.pattern) for p in websocket_urlpatterns}
    assert routes == set(SOCKETS)


@pytest.fixture
def world(make_staff, departments, settings):
    """Request A (with its attachment and finance task) and request B, its twin elsewhere."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = {
        "agent": make_staff("agent"),
        "lead": make_staff("lead", role="lead"),
        "admin": make_staff("boss", role="admin"),
        "back_office": make_staff("clerk", dept="finance", role="back_office"),
        "other_department": make_staff("maker", dept="manufacturing"),
    }

    def opened(sender):
        raw = build_email(sender=sender, files=[("a.txt", "text/plain", b"hello")])
        req = ingest(raw).email.request
        actions.assign(req.pk, users["agent"], users["agent"])
        actions.hand_off(
            req.pk, users["agent"], department=departments["finance"], instructions="Refund."
        )
        req.refresh_from_db()
        return req, req.tasks.get(), Attachment.objects.get(request=req)

    a, b = opened("ann@acme.example"), opened("bo@example.org")
    return users, a, b


def http_client(role, users, customer):
    if role in ("anonymous", "customer"):
        return Client()
    client = Client()
    client.force_login(users[role])
    return client


def api_headers(role, users, customer):
    if role == "anonymous":
        return {}
    if role == "customer":
        client = token_client("customer", customer=customer)
    else:
        client = token_client("staff", user=users[role])
    return client.headers


def fill(route, req, task, attachment, role):
    """The route's URL for request A as this role would reach it."""
    token = req.public_token if role == "customer" else secrets.token_urlsafe(32)
    values = {
        "pk": task.pk if route.startswith("inbox/") else req.pk,
        "task_id": task.pk,
        "attachment_id": attachment.pk,
        "token": token,
        "uidb64": "MQ",
        "action": "ask" if route.startswith("inbox/") else "note",
    }
    path = route.replace("^", "")
    for key, value in values.items():
        for converter in ("int", "str", "slug", "api_id"):
            path = path.replace(f"<{converter}:{key}>", str(value))
    assert "<" not in path, path
    return "/" + path


FORM = {"body": "route check", "email": "ann@acme.example"}
# Valid bodies, so that a refusal cannot hide behind a validation error. The hand-off goes to
# fulfilment, where none of the roles works, so later rows still see request A as before.
API_BODIES = {
    "reply": {"body": "route check"},
    "note": {"body": "route check"},
    "hand-off": {"department": "fulfilment", "instructions": "route check"},
    "reopen": {"reason": "route check"},
    "task-complete": {"answer": "route check"},
    "task-return": {"reason": "route check"},
}


def answer(name, method, path, role, users, customer):
    if name.startswith("api:"):
        client = Client()
        headers = api_headers(role, users, customer)
        if method == "GET":
            return client.get(path, headers=headers)
        body = dict(API_BODIES.get(name.removeprefix("api:"), {}))
        if "department" in body:
            body["department"] = Department.objects.get(slug=body["department"]).pk
        body = json.dumps(body)
        return client.post(path, body, content_type="application/json", headers=headers)
    cache.clear()  # "resend my status link" is rate limited; each role starts afresh
    client = http_client(role, users, customer)
    return client.get(path) if method == "GET" else client.post(path, FORM)


def verdict(response, expected):
    code = response.status_code
    if expected == LOGIN:
        return code == 302 and response["Location"].startswith("/accounts/login/")
    if expected == OK:
        refused = code in (401, 403, 404, 405) or code >= 500
        to_login = code == 302 and response["Location"].startswith("/accounts/login/")
        return not (refused or to_login)
    return code == expected


@pytest.mark.django_db
def test_every_route_answers_each_role_as_the_matrix_says(world):
    users, (req, task, attachment), _ = world
    routes = url_routes()
    wrong = []
    for name, methods in MATRIX.items():
        for method, expected_by_role in methods.items():
            for role in ROLES:
                path = fill(routes[name], req, task, attachment, role)
                response = answer(name, method, path, role, users, req.customer)
                expected = expected_by_role[role]
                if not verdict(response, expected):
                    wrong.append(f"{method} {path} as {role}: {response.status_code}, {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_mutating_routes_refuse_get(world):
    """State changes are POST only: a GET (a link, a prefetch, an <img>) changes nothing."""
    users, (req, task, attachment), _ = world
    routes = url_routes()
    admin = http_client("admin", users, None)
    for name, methods in MATRIX.items():
        if name.startswith("api:") or "GET" in methods or name == "mail:inbound":
            continue
        path = fill(routes[name], req, task, attachment, "customer")
        assert admin.get(path).status_code == 405, path


@pytest.mark.django_db
def test_nested_objects_must_belong_to_the_request_in_the_url(world, footprint):
    users, (a, _, a_file), (b, b_task, b_file) = world
    agent, admin = http_client("agent", users, None), http_client("admin", users, None)
    before = footprint(b)

    for client in (agent, admin):
        assert client.get(f"/console/r/{a.pk}/attachments/{b_file.pk}/").status_code == 404
        posted = client.post(f"/console/r/{a.pk}/cancel_task/", {"task": b_task.pk})
        assert posted.status_code == 404
    for role in ("agent", "admin", "back_office"):
        headers = api_headers(role, users, None)
        for step in ("claim", "complete", "return"):
            path = f"/api/requests/{a.pk}/tasks/{b_task.pk}/{step}/"
            body = '{"answer": "x", "reason": "x"}'
            posted = Client().post(path, body, content_type="application/json", headers=headers)
            assert posted.status_code == 404, (role, path, posted.status_code)

    assert footprint(b) == before
    assert a_file.request_id != b.pk


@pytest.mark.django_db
def test_a_notification_is_only_its_owners(world):
    users, (req, _, _), _ = world
    theirs = Notification.objects.create(
        user=users["lead"], request=req, text="Lead only: SLA breached", link="/"
    )
    agent = http_client("agent", users, None)

    agent.post("/console/notifications/read/", {"id": theirs.pk})
    listed = agent.get("/console/notifications/").content.decode()

    theirs.refresh_from_db()
    assert theirs.read is False
    assert "Lead only" not in listed


@pytest.mark.django_db(transaction=True)
async def test_every_websocket_route_answers_each_role_as_the_matrix_says(world):
    users, (req, _, _), _ = world
    wrong = []
    for route, expected_by_role in SOCKETS.items():
        for role in ROLES:
            token = req.public_token if role == "customer" else secrets.token_urlsafe(32)
            path = "/" + route.replace("<int:pk>", str(req.pk)).replace("<str:token>", token)
            communicator, accepted, code = await attempt(path, users.get(role))
            if accepted:
                code = None
                if not await communicator.receive_nothing(timeout=1):
                    message = await communicator.receive_output(timeout=10)
                    if message["type"] == "websocket.close":
                        code = message.get("code", 1000)
                await communicator.disconnect()
            expected = expected_by_role[role]
            if (expected == OK) != (code is None) or (expected != OK and code != expected):
                wrong.append(f"{path} as {role}: closed with {code}, expected {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_foreign_keys_outside_the_callers_scope_are_refused_with_nothing_written(world, footprint):
    users, (a, _, _), (b, b_task, _) = world
    agent = http_client("agent", users, None)
    before_a, before_b = footprint(a), footprint(b)

    # Assigning A to someone who cannot work it, cancelling B's task through A, a missing
    # department: each refused, nothing written anywhere.
    refused = [
        agent.post(f"/console/r/{a.pk}/assign/", {"assignee": users["other_department"].pk}),
        agent.post(f"/console/r/{a.pk}/assign/", {"assignee": users["back_office"].pk}),
        agent.post(f"/console/r/{a.pk}/cancel_task/", {"task": b_task.pk}),
        agent.post(f"/console/r/{a.pk}/hand_off/", {"department": 999999, "instructions": "x"}),
    ]

    assert [r.status_code for r in refused if r.status_code < 400] == []
    assert footprint(a) == before_a
    assert footprint(b) == before_b


@pytest.mark.django_db
def test_api_bodies_cannot_reach_outside_the_tokens_scope(world, departments):
    users, (a, _, _), (b, _, _) = world
    count = Request.objects.count
    before = count()
    customer = api_headers("customer", users, a.customer)
    agent = api_headers("agent", users, None)

    def post(path, body, headers):
        return Client().post(
            path, json.dumps(body), content_type="application/json", headers=headers
        )

    as_someone_else = post(
        "/api/requests/", {"subject": "s", "body": "b", "customer": b.customer_id}, customer
    )
    into_another_department = post(
        "/api/requests/",
        {
            "subject": "s",
            "body": "b",
            "customer": a.customer_id,
            "department": departments["manufacturing"].pk,
        },
        agent,
    )
    assert as_someone_else.status_code == 400
    assert into_another_department.status_code == 400
    assert "department" in into_another_department.json()["error"]
    assert count() == before
