"""The one way a request changes: lock it, move it, log it, publish after commit.

`changing(request_id, ...)` is what every action runs inside. The row lock serialises
writers on one request, so the per-request sequence stays gapless; events written here are
handed to the realtime publisher only once the transaction commits.
"""

from contextlib import contextmanager

from django.db import transaction
from django_fsm import can_proceed

from helpdesk.models import Event, Request
from helpdesk.selectors import departments_holding
from workflows import config, sla
from workflows.errors import Conflict, NotFound
from workflows.statements import Compiled
from workflows.states import ACTIVE_REQUEST_STATES, RequestStatus

PUBLIC = Event.Visibility.PUBLIC
INTERNAL = Event.Visibility.INTERNAL


class Change:
    """A request locked for one action, and the events that action writes."""

    def __init__(self, request, actor, config):
        self.request = request
        self.actor = actor
        self.config = config  # workflows.config.Config, as of the lock
        self.events = []
        self._loaded = _field_values(request)

    def changed_fields(self):
        """The columns the action changed, and the update time: the UPDATE writes only these,
        not the whole row (the body can be long)."""
        now = _field_values(self.request)
        return [name for name, value in now.items() if self._loaded[name] != value] + ["updated_at"]

    def record(self, type, *, public, **payload):
        """Add an event to the action's log; all of them are inserted in one statement when
        the action's block ends."""
        self.request.last_event_seq += 1
        event = Event(
            request=self.request,
            seq=self.request.last_event_seq,
            type=type,
            actor=self.actor if getattr(self.actor, "is_authenticated", False) else None,
            visibility=PUBLIC if public else INTERNAL,
            payload=payload,
        )
        self.events.append(event)
        return event

    def move(self, transition_name, *, refusal=None):
        """Run an FSM transition, or refuse with the transitions allowed from here."""
        request = self.request
        transition = getattr(request, transition_name)
        if not can_proceed(transition):
            raise Conflict(
                refusal or f"Cannot {transition_name.replace('_', ' ')} this request now.",
                current_state=request.status,
                allowed=allowed_actions(request),
            )
        before = request.status
        transition()
        if request.status != before:
            self.record(
                "status_changed", public=True, old=before, new=request.status, **self._where()
            )

    def require_state(self, action, done):
        """Refuse an action that moves no state machine but that this state rules out
        (STATES_OF_ACTION); `done` completes "A closed request cannot be ..."."""
        request = self.request
        if request.status in STATES_OF_ACTION[action]:
            return
        allowed = allowed_actions(request)
        advice = "; reopen it first." if "reopen" in allowed else "."
        raise Conflict(
            f"A {request.get_status_display().lower()} request cannot be {done}{advice}",
            current_state=request.status,
            allowed=allowed,
        )

    def move_if_possible(self, transition_name):
        if can_proceed(getattr(self.request, transition_name)):
            self.move(transition_name)

    def _where(self):
        """Which departments hold the request now: the status page says it in plain words."""
        names = departments_holding(self.request)
        return {"departments": names} if names else {}


def _field_values(request):
    return {f.name: getattr(request, f.attname) for f in request._meta.concrete_fields}


# The staff actions behind each transition; the others happen on their own (a customer's
# reply, the last department task finishing).
ACTION_OF_TRANSITION = {
    "accept": "assign",
    "await_customer": "reply",
    "await_departments": "hand_off",
    "resolve": "resolve",
    "reopen": "reopen",
    "close": "close",
}


def allowed_actions(request):
    """The actions the request's state allows now, by the names staff know them by."""
    return sorted(
        {
            ACTION_OF_TRANSITION[t.name]
            for t in request.get_available_status_transitions()
            if t.name in ACTION_OF_TRANSITION
        }
    )


# Actions that move no state machine, yet only make sense in some states. A closed request is
# final: nothing changes it but an internal note or a replaced status link. A resolved one has
# no urgency left to raise (escalate, priority), but who follows it up if the customer writes
# back (assign, transfer) and winding an escalation down still matter until it is closed.
STATES_OF_ACTION = {
    "assign": (*ACTIVE_REQUEST_STATES, RequestStatus.RESOLVED),
    "transfer": (*ACTIVE_REQUEST_STATES, RequestStatus.RESOLVED),
    "deescalate": (*ACTIVE_REQUEST_STATES, RequestStatus.RESOLVED),
    "escalate": ACTIVE_REQUEST_STATES,
    "priority": ACTIVE_REQUEST_STATES,
}


def available_actions(request):
    """Everything the request's state and escalation level allow now: the transitions, and the
    actions of STATES_OF_ACTION. The console shows a button only for these."""
    names = set(allowed_actions(request))
    names |= {name for name, states in STATES_OF_ACTION.items() if request.status in states}
    level_moves = {t.name for t in request.get_available_escalation_level_transitions()}
    return sorted(names - ({"escalate", "deescalate"} - level_moves))


# The request with the configuration token (workflows.config) beside it, in one statement.
LOCK_REQUEST = Compiled(
    lambda pk: (
        Request.objects.select_for_update()
        .annotate(config_token=config.token_column())
        .filter(pk=pk)
    )
)


def _primary_key(request_id):
    try:
        return int(request_id)
    except (TypeError, ValueError):
        raise NotFound("No such request.") from None


@contextmanager
def changing(request_id, actor, *, expected_seq=None):
    """Lock the request, yield a Change, save it and schedule its side effects."""
    from helpdesk.mail.outbound import enqueue_for as enqueue_customer_mail
    from helpdesk.webhooks.dispatch import enqueue_for as enqueue_webhooks
    from realtime.publisher import publish_after_commit

    with transaction.atomic():
        found = LOCK_REQUEST.rows(_primary_key(request_id))
        if not found:
            raise NotFound("No such request.")
        request = found[0]
        if expected_seq is not None and int(expected_seq) != request.last_event_seq:
            raise Conflict(
                "This request changed since you loaded it; review the latest and try again.",
                current_state=request.status,
                allowed=allowed_actions(request),
            )
        change = Change(request, actor, config.at(request.config_token))
        yield change
        if change.events:
            Event.objects.bulk_create(change.events)
            sla.on_change(change)
            request.save(update_fields=change.changed_fields())
            # Jobs share the database, so they commit or roll back with the events; the live
            # publish waits for the commit. A rolled-back action triggers none of them.
            enqueue_webhooks(change.events, change.config.webhook_endpoints)
            enqueue_customer_mail(change.events)
            publish_after_commit(request, change.events)
