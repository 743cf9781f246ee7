"""The state machines of a request, a department task and an escalation level.

Transitions are django-fsm methods with empty bodies on purpose: events, clocks and
notifications belong to the workflows action that calls the transition and saves.
"""

from django.db import models
from django_fsm import RETURN_VALUE, FSMField, FSMIntegerField, FSMModelMixin, transition


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_DEPARTMENT = "waiting_on_department", "Waiting on department"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed"
    DONE = "done", "Done"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


S = RequestStatus
T = TaskStatus
ACTIVE_REQUEST_STATES = (S.NEW, S.OPEN, S.WAITING_ON_DEPARTMENT, S.WAITING_ON_CUSTOMER)
ACTIVE_TASK_STATES = (T.OPEN, T.CLAIMED)
MAX_ESCALATION_LEVEL = 3


class RequestStateMachine(FSMModelMixin, models.Model):
    status = FSMField(
        default=S.NEW, choices=S.choices, protected=True, db_index=True, max_length=32
    )
    escalation_level = FSMIntegerField(default=0, protected=True)

    class Meta:
        abstract = True

    @transition(field=status, source=S.NEW, target=S.OPEN)
    def accept(self):
        """An agent takes the new request on (assignment or first touch)."""

    @transition(
        field=status, source=[S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER], target=S.WAITING_ON_CUSTOMER
    )
    def await_customer(self):
        """A public reply asks the customer something."""

    @transition(field=status, source=[S.WAITING_ON_CUSTOMER, S.RESOLVED], target=S.OPEN)
    def customer_answered(self):
        """The customer wrote back: the request needs its owner again."""

    @transition(
        field=status,
        source=[S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER, S.WAITING_ON_DEPARTMENT],
        target=S.WAITING_ON_DEPARTMENT,
    )
    def await_departments(self):
        """A department task was handed off."""

    @transition(field=status, source=S.WAITING_ON_DEPARTMENT, target=S.OPEN)
    def departments_answered(self):
        """The last open department task finished: back to the owner, answered."""

    @transition(field=status, source=[S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER], target=S.RESOLVED)
    def resolve(self):
        """Resolving while a department still works on it is refused: cancel the tasks first."""

    @transition(field=status, source=S.RESOLVED, target=S.OPEN)
    def reopen(self):
        pass

    @transition(field=status, source=S.RESOLVED, target=S.CLOSED)
    def close(self):
        pass

    @transition(
        field=escalation_level,
        source=list(range(MAX_ESCALATION_LEVEL)),
        target=RETURN_VALUE(*range(1, MAX_ESCALATION_LEVEL + 1)),
    )
    def escalate(self):
        return self.escalation_level + 1

    @transition(
        field=escalation_level,
        source=list(range(1, MAX_ESCALATION_LEVEL + 1)),
        target=RETURN_VALUE(*range(MAX_ESCALATION_LEVEL)),
    )
    def deescalate(self):
        return self.escalation_level - 1


class TaskStateMachine(FSMModelMixin, models.Model):
    status = FSMField(
        default=T.OPEN, choices=T.choices, protected=True, db_index=True, max_length=16
    )

    class Meta:
        abstract = True

    @transition(field=status, source=T.OPEN, target=T.CLAIMED)
    def claim(self):
        pass

    @transition(field=status, source=[T.OPEN, T.CLAIMED], target=T.DONE)
    def complete(self):
        """Completing an unclaimed task claims it implicitly: one click for the clerk."""

    @transition(field=status, source=[T.OPEN, T.CLAIMED], target=T.RETURNED)
    def give_back(self):
        """Declined with a reason: the department cannot or should not do it."""

    @transition(field=status, source=[T.OPEN, T.CLAIMED], target=T.CANCELLED)
    def cancel(self):
        pass
