"""Thin endpoints: parse, find the object in the caller's scope, call one workflows action, and
answer with the request as the caller may see it. No rule lives here."""

from dataclasses import dataclass
from typing import Any

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import selectors
from helpdesk.api import idempotency, scope
from helpdesk.api import serializers as s
from helpdesk.api.services import upsert_fact
from helpdesk.models import Request
from helpdesk.pagination import keyset_page
from workflows import actions
from workflows.errors import InvalidInput, NotFound, NotPermitted

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}
IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Retries with the same key get the first answer; nothing is written twice.",
)


def int_param(request, name, *, default, low, high):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}.")
    return value


def request_answer(token, pk, *, status=200):
    """The request as this token may see it, read fresh after any change."""
    req = scope.request_or_404(token, pk)
    if token.is_staff_scope:
        return Response(s.StaffRequestDetailOut(req, context={"user": token.user}).data, status)
    return Response(s.CustomerRequestOut(req).data, status)


class ApiView(APIView):
    """Authentication, JSON and error answers come from REST_FRAMEWORK in settings."""

    def parsed(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class WriteView(ApiView):
    """POST goes through the Idempotency-Key store; errors are answers too, so they replay."""

    def post(self, request, **kwargs):
        return idempotency.run(request, lambda: self._answer(request, **kwargs))

    def _answer(self, request, **kwargs):
        try:
            return self.write(request, **kwargs)
        except Exception as exc:
            return self.handle_exception(exc)  # re-raises what it cannot answer: a rollback

    def write(self, request, **kwargs):
        raise NotImplementedError


class RequestListView(WriteView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of a page"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {MAX_PAGE_SIZE}"),
            OpenApiParameter("status", OpenApiTypes.STR),
        ],
        responses={200: s.StaffRequestPage, **ERRORS},
        description="Requests the token may see, newest first (customer tokens: fewer fields).",
        operation_id="requests_list",
    )
    def get(self, request):
        token = request.auth
        rows = selectors.requests_with_open_tasks(scope.visible_requests(token)).select_related(
            "customer", "department", "assignee"
        )
        if status := request.query_params.get("status"):
            rows = rows.filter(status=status)
        size = int_param(request, "limit", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
        page = keyset_page(rows, request.query_params.get("cursor"), key="created_at", size=size)
        out = s.StaffRequestOut if token.is_staff_scope else s.CustomerRequestOut
        return Response(
            {"results": out(page.rows, many=True).data, "next_cursor": page.next_cursor}
        )

    @extend_schema(
        request=s.StaffRequestIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.StaffRequestDetailOut, **ERRORS},
        description="Customer tokens open a request for themselves (subject, body, priority).",
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)

    def write(self, request):
        token = request.auth
        if token.is_staff_scope:
            data = self.parsed(s.StaffRequestIn)
            opened = actions.open_request(
                customer=scope.customer_named(data.get("customer"), data.get("customer_email")),
                department=scope.department_for_new_request(token.user, data.get("department")),
                actor=token.user,
                **self._common(data),
            )
        else:
            data = self.parsed(s.CustomerRequestIn)
            opened = actions.open_request(customer=token.customer, **self._common(data))
        return request_answer(token, opened.pk, status=201)

    @staticmethod
    def _common(data):
        fields = {"subject": data["subject"], "body": data["body"], "channel": Request.Channel.API}
        return fields | ({"priority": data["priority"]} if "priority" in data else {})


@extend_schema(responses={200: s.StaffRequestDetailOut, **ERRORS})
class RequestDetailView(ApiView):
    def get(self, request, pk):
        return request_answer(request.auth, pk)


@dataclass(frozen=True)
class Action:
    """One POST under a request: the staff call, and the customer's when customers may."""

    name: str
    description: str
    staff_in: type
    staff: Any
    customer_in: type | None = None
    customer: Any = None


def _hand_off(user, req, data):
    actions.hand_off(
        req.pk,
        user,
        department=scope.department_for_hand_off(data["department"]),
        instructions=data["instructions"],
        due_at=data.get("due_at"),
        expected_seq=data.get("expected_seq"),
    )


REQUEST_ACTIONS = [
    Action(
        "reply",
        "A public reply (staff), or the customer writing back (customer tokens: body only).",
        s.ReplyIn,
        lambda user, req, d: actions.reply(
            req.pk, user, d["body"], expected_seq=d.get("expected_seq")
        ),
        s.NoteIn,
        lambda customer, req, d: actions.customer_reply(req.pk, customer, d["body"]),
    ),
    Action(
        "note",
        "An internal note; never shown to customers.",
        s.NoteIn,
        lambda user, req, d: actions.add_internal_note(req.pk, user, d["body"]),
    ),
    Action("hand-off", "Hand a piece of the request to a department.", s.HandOffIn, _hand_off),
    Action(
        "resolve",
        "Resolve the request.",
        s.VersionedIn,
        lambda user, req, d: actions.resolve(req.pk, user, expected_seq=d.get("expected_seq")),
    ),
    Action(
        "reopen",
        "Reopen a resolved or closed request.",
        s.ReopenIn,
        lambda user, req, d: actions.reopen(
            req.pk, user, reason=d["reason"], expected_seq=d.get("expected_seq")
        ),
    ),
    Action(
        "close",
        "Close a resolved request.",
        s.VersionedIn,
        lambda user, req, d: actions.close(req.pk, user, expected_seq=d.get("expected_seq")),
    ),
]

TASK_ACTIONS = [
    Action(
        "claim",
        "Claim the task for yourself.",
        s.StrictSerializer,
        lambda user, task_id, d: actions.claim_task(task_id, user),
    ),
    Action(
        "complete",
        "Complete the task with its answer.",
        s.AnswerIn,
        lambda user, task_id, d: actions.complete_task(task_id, user, answer=d["answer"]),
    ),
    Action(
        "return",
        "Return the task with the reason it cannot be done.",
        s.ReasonIn,
        lambda user, task_id, d: actions.return_task(task_id, user, reason=d["reason"]),
    ),
]


class RequestActionView(WriteView):
    action: Action

    def write(self, request, pk):
        token = request.auth
        req = scope.request_or_404(token, pk)
        if token.is_staff_scope:
            self.action.staff(token.user, req, self.parsed(self.action.staff_in))
        elif self.action.customer is not None:
            self.action.customer(token.customer, req, self.parsed(self.action.customer_in))
        else:
            raise NotPermitted(f"Customer tokens cannot {self.action.name.replace('-', ' ')}.")
        return request_answer(token, pk)


class TaskActionView(WriteView):
    action: Action

    def write(self, request, pk, task_id):
        token = request.auth
        req = scope.request_or_404(token, pk)
        scope.require_staff(token, "work department tasks")
        if not req.tasks.filter(pk=task_id).exists():  # another request's task: not here
            raise NotFound("No such task.")
        self.action.staff(token.user, task_id, self.parsed(self.action.staff_in))
        return request_answer(token, pk)


def action_view(base, action):
    """A view class per action, so the OpenAPI document names each body and operation."""

    @extend_schema(
        request=action.staff_in,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: s.StaffRequestDetailOut, **ERRORS},
        description=action.description,
    )
    def post(self, request, **kwargs):
        return WriteView.post(self, request, **kwargs)

    name = f"{action.name.title().replace('-', '')}{base.__name__}"
    return type(name, (base,), {"action": action, "post": post})


@extend_schema(
    parameters=[OpenApiParameter("after", OpenApiTypes.INT, description="last seq you have")],
    responses={200: s.EventPage, **ERRORS},
    description=(
        "The request's event log after `after`, in order, up to "
        f"{selectors.TIMELINE_LIMIT} at a time. Customer tokens get public events only."
    ),
)
class EventFeedView(ApiView):
    def get(self, request, pk):
        token = request.auth
        req = scope.request_or_404(token, pk)
        after = int_param(request, "after", default=0, low=0, high=s.MAX_ID)
        events = selectors.timeline(req, public_only=not token.is_staff_scope, after_seq=after)
        out = s.StaffEventOut if token.is_staff_scope else s.PublicEventOut
        return Response(
            {
                "results": out(events, many=True).data,
                "next_after": events[-1].seq if events else after,
            }
        )


class FactView(WriteView):
    @extend_schema(
        request=s.FactIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: s.FactOut, 201: s.FactOut, **ERRORS},
        description="Create or update a context fact, keyed by (source, external_id).",
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)

    def write(self, request):
        token = request.auth
        scope.require_staff(token, "write context facts")
        fact, created = upsert_fact(token.user, self.parsed(s.FactIn))
        return Response({"id": fact.pk, "created": created}, status=201 if created else 200)


def not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in JSON like everything else there."""
    return JsonResponse({"error": "Not found."}, status=404)
