"""One function per business action. Each checks permission, moves the state machine under
a row lock and writes its events in the same transaction (see workflows.log)."""

from workflows.actions.conversation import add_internal_note, customer_reply, reply
from workflows.actions.escalation import deescalate, escalate
from workflows.actions.requests import (
    assign,
    change_priority,
    close,
    open_request,
    reopen,
    resolve,
    revoke_status_link,
    transfer,
)
from workflows.actions.tasks import cancel_task, claim_task, complete_task, hand_off, return_task

__all__ = [
    "add_internal_note",
    "assign",
    "cancel_task",
    "change_priority",
    "claim_task",
    "close",
    "complete_task",
    "customer_reply",
    "deescalate",
    "escalate",
    "hand_off",
    "open_request",
    "reopen",
    "reply",
    "resolve",
    "return_task",
    "revoke_status_link",
    "transfer",
]
