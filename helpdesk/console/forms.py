"""Turn posted forms into workflows action calls; each entry is one business action."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone

from helpdesk.models import Department, DepartmentTask, Priority
from workflows import actions
from workflows.errors import InvalidInput


def _int(data, name, label):
    try:
        return int(data.get(name, ""))
    except ValueError:
        raise InvalidInput(f"{label} is missing or not a number.") from None


def _seq(data):
    return _int(data, "seq", "The form version") if data.get("seq") else None


def _due(data):
    raw = (data.get("due_at") or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("The due time is not a valid date and time.") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _assignee(data):
    if not data.get("assignee"):
        return None
    return get_object_or_404(get_user_model(), pk=_int(data, "assignee", "Assignee"))


def _department(data):
    return get_object_or_404(Department, pk=_int(data, "department", "Department"))


def _task(req, data):
    # The task must belong to this request: another request's task is simply not found.
    return get_object_or_404(DepartmentTask, pk=_int(data, "task", "Task"), request=req)


def _priority(data):
    value = _int(data, "priority", "Priority")
    if value not in Priority.values:
        raise InvalidInput("Unknown priority.")
    return value


REQUEST_ACTIONS = {
    "reply": lambda req, user, d: actions.reply(req.pk, user, d.get("body"), expected_seq=_seq(d)),
    "note": lambda req, user, d: actions.add_internal_note(req.pk, user, d.get("body")),
    "assign": lambda req, user, d: actions.assign(req.pk, user, _assignee(d), expected_seq=_seq(d)),
    "hand_off": lambda req, user, d: actions.hand_off(
        req.pk,
        user,
        department=_department(d),
        instructions=d.get("instructions"),
        due_at=_due(d),
        expected_seq=_seq(d),
    ),
    "resolve": lambda req, user, d: actions.resolve(req.pk, user, expected_seq=_seq(d)),
    "reopen": lambda req, user, d: actions.reopen(
        req.pk, user, reason=d.get("reason", ""), expected_seq=_seq(d)
    ),
    "close": lambda req, user, d: actions.close(req.pk, user, expected_seq=_seq(d)),
    "escalate": lambda req, user, d: actions.escalate(
        req.pk, user, reason=d.get("reason"), expected_seq=_seq(d)
    ),
    "deescalate": lambda req, user, d: actions.deescalate(
        req.pk, user, reason=d.get("reason"), expected_seq=_seq(d)
    ),
    "priority": lambda req, user, d: actions.change_priority(
        req.pk, user, _priority(d), expected_seq=_seq(d)
    ),
    "cancel_task": lambda req, user, d: actions.cancel_task(
        _task(req, d).pk, user, reason=d.get("reason", "")
    ),
    "revoke_link": lambda req, user, d: actions.revoke_status_link(req.pk, user),
    "transfer": lambda req, user, d: actions.transfer(
        req.pk, user, _department(d), reason=d.get("reason", ""), expected_seq=_seq(d)
    ),
}

# Buttons without fields, shown when the state machine allows them for this user.
SIMPLE_ACTIONS = ("resolve", "reopen", "close")
