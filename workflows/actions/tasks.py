"""Department tasks: a request handed to finance, manufacturing... and answered back."""

from django.utils import timezone
from django_fsm import can_proceed

from helpdesk.models import Department, DepartmentTask
from workflows import permissions
from workflows.actions.validation import require, text
from workflows.errors import Conflict, InvalidInput, NotFound
from workflows.log import changing


def hand_off(request_id, actor, *, department, instructions, due_at=None, expected_seq=None):
    """Ask a department to do a piece of the request; several can work in parallel."""
    instructions = text(instructions, "Instructions")
    if not isinstance(department, Department):
        raise InvalidInput("Choose a department to hand off to.")
    if due_at is not None and due_at <= timezone.now():
        raise InvalidInput("The due time must be in the future.")
    with changing(request_id, actor, expected_seq=expected_seq) as change:
        request = change.request
        require(permissions.can_work_request(actor, request), "You cannot hand off this request.")
        task = DepartmentTask.objects.create(
            request=request,
            customer_id=request.customer_id,
            department=department,
            instructions=instructions,
            due_at=due_at,
            created_by=actor,
        )
        change.record(
            "task_created",
            public=False,
            task_id=task.pk,
            department_id=department.pk,
            department=department.name,
        )
        change.move("await_departments", refusal="This request cannot be handed off now.")
        return task


def _task_in(change, task_id):
    try:
        return DepartmentTask.objects.select_related("department").get(
            pk=task_id, request=change.request
        )
    except DepartmentTask.DoesNotExist:
        raise NotFound("No such task.") from None


def _request_id_of(task_id):
    request_id = (
        DepartmentTask.objects.filter(pk=task_id).values_list("request_id", flat=True).first()
    )
    if request_id is None:
        raise NotFound("No such task.")
    return request_id


# The staff action behind each task transition, as a refusal names them.
TASK_ACTION_OF_TRANSITION = {
    "claim": "claim",
    "complete": "complete",
    "give_back": "return",
    "cancel": "cancel",
}


def _move_task(change, task, transition_name, verb):
    if not can_proceed(getattr(task, transition_name)):
        raise Conflict(
            f"This task cannot be {verb} now.",
            current_state=task.status,
            allowed=sorted(
                TASK_ACTION_OF_TRANSITION[t.name] for t in task.get_available_status_transitions()
            ),
        )
    getattr(task, transition_name)()


# What finishing writes: a task's instructions can be long, and nothing else changed.
FINISHED_TASK_FIELDS = ["status", "assignee", "answer", "finished_at", "updated_at"]


def _finish(change, task, transition_name, verb, event_type, *, answer=""):
    _move_task(change, task, transition_name, verb)
    task.answer = answer
    task.finished_at = timezone.now()
    task.save(update_fields=FINISHED_TASK_FIELDS)
    change.record(
        event_type,
        public=False,
        task_id=task.pk,
        department_id=task.department_id,
        department=task.department.name,
    )
    if not permissions.open_tasks(change.request).exists():
        change.move_if_possible("departments_answered")
    return task


def claim_task(task_id, actor):
    with changing(_request_id_of(task_id), actor) as change:
        task = _task_in(change, task_id)
        require(permissions.can_work_task(actor, task), "This task belongs to another department.")
        if task.status == "claimed" and task.assignee == actor:
            return task
        _move_task(change, task, "claim", "claimed")
        task.assignee = actor
        task.save(update_fields=["status", "assignee", "updated_at"])
        change.record(
            "task_claimed",
            public=False,
            task_id=task.pk,
            department_id=task.department_id,
            department=task.department.name,
            assignee=permissions.staff_name(actor),
        )
        return task


def complete_task(task_id, actor, *, answer):
    answer = text(answer, "Answer")
    with changing(_request_id_of(task_id), actor) as change:
        task = _task_in(change, task_id)
        require(permissions.can_work_task(actor, task), "This task belongs to another department.")
        if task.assignee is None:
            task.assignee = actor
        return _finish(change, task, "complete", "completed", "task_completed", answer=answer)


def return_task(task_id, actor, *, reason):
    reason = text(reason, "Reason")
    with changing(_request_id_of(task_id), actor) as change:
        task = _task_in(change, task_id)
        require(permissions.can_work_task(actor, task), "This task belongs to another department.")
        return _finish(change, task, "give_back", "returned", "task_returned", answer=reason)


def cancel_task(task_id, actor, *, reason=""):
    reason = text(reason, "Reason", max_length=2000, required=False)
    with changing(_request_id_of(task_id), actor) as change:
        task = _task_in(change, task_id)
        require(
            permissions.can_work_request(actor, change.request),
            "Only the request's owners can cancel its tasks.",
        )
        return _finish(change, task, "cancel", "cancelled", "task_cancelled", answer=reason)
