from workflows import permissions
from workflows.actions.validation import require, text
from workflows.errors import Conflict
from workflows.log import changing
from workflows.states import MAX_ESCALATION_LEVEL


def escalate(request_id, actor, *, reason, expected_seq=None, automatic=False):
    """Raise the escalation level: by an agent with a reason, or by the SLA ladder."""
    reason = text(reason, "Reason", max_length=2000)
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        if not automatic:
            require(permissions.can_work_request(actor, request), "You cannot escalate this.")
        change.require_state("escalate", "escalated")
        if request.escalation_level >= MAX_ESCALATION_LEVEL:
            raise Conflict(
                f"Already at the highest escalation level ({MAX_ESCALATION_LEVEL}).",
                current_state=f"level {request.escalation_level}",
                allowed=["deescalate"],
            )
        old = request.escalation_level
        request.escalate()
        change.record(
            "escalated",
            public=False,
            old=old,
            new=request.escalation_level,
            reason=reason,
            automatic=automatic,
        )
        return request


def deescalate(request_id, actor, *, reason, expected_seq=None):
    reason = text(reason, "Reason", max_length=2000)
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        require(permissions.can_lead_request(actor, request), "Only a lead can de-escalate.")
        change.require_state("deescalate", "de-escalated")
        if request.escalation_level == 0:
            raise Conflict(
                "The request is not escalated.", current_state="level 0", allowed=["escalate"]
            )
        old = request.escalation_level
        request.deescalate()
        change.record(
            "deescalated", public=False, old=old, new=request.escalation_level, reason=reason
        )
        return request
