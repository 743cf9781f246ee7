from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import Customer, Department, Priority, Request, StaffMembership
from workflows import permissions
from workflows.actions.validation import require, text
from workflows.errors import InvalidInput
from workflows.log import changing
from workflows.models import Notification
from workflows.states import RequestStatus


def open_request(
    *,
    customer,
    subject,
    body,
    department=None,
    channel=Request.Channel.WEB,
    priority=Priority.NORMAL,
    actor=None,
):
    """A customer's request enters the system: from the web, email, the API or a phone call."""
    if not isinstance(customer, Customer):
        raise InvalidInput("A request needs a customer.")
    if actor is not None:
        require(permissions.uses_console(actor), "Only agents can open requests for customers.")
    if priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.")
    if channel not in Request.Channel.values:
        raise InvalidInput(f"Unknown channel {channel!r}.")
    department = department or Department.objects.order_by("pk").first()
    if department is None:
        raise InvalidInput("No department exists to receive requests.")
    with transaction.atomic():
        request = Request.objects.create(
            customer=customer,
            subject=text(subject, "Subject", max_length=200),
            body=text(body, "Description"),
            channel=channel,
            priority=priority,
            department=department,
        )
        with changing(request.pk, actor) as change:
            change.record(
                "request_opened",
                public=True,
                subject=request.subject,
                channel=channel,
                department=department.name,
            )
        return change.request


def assign(request_id, actor, assignee, *, expected_seq=None):
    """Give the request an owner. Someone handed a request by a colleague finds it in their
    notifications; the SLA ladder (no actor) sends its own."""
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        if actor is not None:  # None: the SLA ladder reassigning
            require(permissions.can_work_request(actor, request), "You cannot assign this request.")
        change.require_state("assign", "assigned")
        if assignee is not None and not (
            permissions.is_admin(assignee)
            or StaffMembership.objects.filter(
                user=assignee,
                department_id=request.department_id,
                role__in=permissions.CONSOLE_ROLES,
            ).exists()
        ):
            raise InvalidInput(f"{assignee} does not work requests for {request.department}.")
        if assignee == request.assignee:
            return request
        request.assignee = assignee
        change.record(
            "assigned",
            public=False,
            assignee_id=assignee.pk if assignee else None,
            assignee=permissions.staff_name(assignee) if assignee else "",
        )
        if assignee is not None and actor is not None and assignee != actor:
            name = permissions.staff_name(actor)
            Notification.objects.create(
                user=assignee,
                request=request,
                text=f"{name} assigned #{request.pk} {request.subject} to you."[:500],
                link=reverse("console:request", args=[request.pk]),
            )
        change.move_if_possible("accept")
        return request


def transfer(request_id, actor, department, *, reason="", expected_seq=None):
    """Move ownership to another department; its staff gain the request, others may lose it."""
    if not isinstance(department, Department):
        raise InvalidInput("Choose a department to transfer to.")
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        require(permissions.can_work_request(actor, request), "You cannot transfer this request.")
        change.require_state("transfer", "transferred")
        if request.department_id == department.pk:
            return request
        old = request.department
        request.department = department
        request.assignee = None
        change.record(
            "transferred",
            public=False,
            old_department_id=old.pk,
            department_id=department.pk,
            old=old.name,
            new=department.name,
            reason=reason.strip(),
        )
        return request


def change_priority(request_id, actor, priority, *, reason="", expected_seq=None):
    if priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.")
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        if actor is not None:
            require(permissions.can_work_request(actor, request), "You cannot change priority.")
        change.require_state("priority", "given another priority")
        if request.priority == priority:
            return request
        old = request.priority
        request.priority = priority
        change.record(
            "priority_changed", public=False, old=old, new=priority, reason=reason.strip()
        )
        return request


def _console_transition(request_id, actor, transition, *, expected_seq, **payload):
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        require(
            permissions.can_work_request(actor, request), f"You cannot {transition} this request."
        )
        change.move(transition)
        if request.status == RequestStatus.RESOLVED:
            request.resolved_at = timezone.now()
        if payload:
            change.record(transition, public=False, **payload)
        return request


def resolve(request_id, actor, *, expected_seq=None):
    return _console_transition(request_id, actor, "resolve", expected_seq=expected_seq)


def reopen(request_id, actor, *, reason="", expected_seq=None):
    reason = text(reason, "Reason", max_length=2000, required=False)
    extra = {"reason": reason} if reason else {}
    return _console_transition(request_id, actor, "reopen", expected_seq=expected_seq, **extra)


def close(request_id, actor, *, expected_seq=None):
    return _console_transition(request_id, actor, "close", expected_seq=expected_seq)


def revoke_status_link(request_id, actor):
    """Replace the customer's status token: the old link and its open sockets stop at once."""
    from helpdesk.models import new_public_token

    with changing(request_id, actor) as change:
        request = change.request
        require(permissions.can_work_request(actor, request), "You cannot revoke this link.")
        old_token = request.public_token
        request.public_token = new_public_token()
        change.record("status_link_revoked", public=False, revoked_token_hint=old_token[:4])
        return request
