from helpdesk.models import Message
from workflows import permissions
from workflows.actions.validation import require, text
from workflows.errors import Conflict
from workflows.log import allowed_actions, changing
from workflows.states import RequestStatus


def reply(request_id, actor, body, *, expected_seq=None):
    """A public answer to the customer; it asks them something, so the request waits on them."""
    body = text(body, "Reply")
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        require(permissions.can_work_request(actor, request), "You cannot reply on this request.")
        if request.status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
            raise Conflict(
                "Reopen the request before replying.",
                current_state=request.status,
                allowed=allowed_actions(request),
            )
        message = Message.objects.create(
            request=request, kind=Message.Kind.REPLY, author_user=actor, body=body
        )
        change.record("replied", public=True, message_id=message.pk)
        change.move_if_possible("await_customer")
        return message


def add_internal_note(request_id, actor, body, *, task=None):
    """Staff-only words; back-office staff use it to ask the owner a question. No actor: the
    system's own notice (an email kept aside, a bounce)."""
    body = text(body, "Note")
    with changing(request_id, actor) as change:
        request = change.request
        if actor is not None:
            require(permissions.can_view_request(actor, request), "You cannot see this request.")
        message = Message.objects.create(
            request=request, kind=Message.Kind.NOTE, author_user=actor, body=body
        )
        change.record(
            "note_added",
            public=False,
            message_id=message.pk,
            **({"task_id": task.pk} if task else {}),
        )
        return message


def customer_reply(request_id, customer, body):
    """The customer wrote back (status page, email, API): the owner needs to look again.

    Only the request's customer, or a colleague of theirs at the same organisation (copied on
    the thread), may write on it: callers find the customer from an email's From address or a
    token, and a mistake there must not put words in a stranger's name on someone's request."""
    body = text(body, "Message")
    with changing(request_id, None) as change:
        request = change.request
        require(
            permissions.can_write_as_customer(customer, request),
            "Only the request's customer or a colleague of theirs can write on it.",
        )
        if request.status == RequestStatus.CLOSED:
            raise Conflict(
                "This request is closed; please open a new one.",
                current_state=request.status,
                allowed=allowed_actions(request),
            )
        message = Message.objects.create(
            request=request, kind=Message.Kind.REPLY, author_customer=customer, body=body
        )
        change.record("customer_replied", public=True, message_id=message.pk)
        change.move_if_possible("customer_answered")
        return message
