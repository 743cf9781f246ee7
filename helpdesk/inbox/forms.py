"""Turn posted task forms into workflows action calls; each entry is one business action."""

from workflows import actions

TASK_ACTIONS = {
    "claim": lambda task, user, d: actions.claim_task(task.pk, user),
    "complete": lambda task, user, d: actions.complete_task(task.pk, user, answer=d.get("answer")),
    "return": lambda task, user, d: actions.return_task(task.pk, user, reason=d.get("reason")),
    # A question for the request's owner: an internal note that names the task it is about.
    "ask": lambda task, user, d: actions.add_internal_note(
        task.request_id, user, d.get("body"), task=task
    ),
}
