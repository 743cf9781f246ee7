"""One request's life, played through the real state machines without touching the database.

Bench data is bulk-inserted, yet it must look exactly like what the workflow actions write:
gapless event sequences, `last_event_seq` equal to the newest event, statuses that only the
transitions could have produced, and the same event types and payloads. So each method below
mirrors one action in workflows/actions (same events, same order, same visibility), and every
status move is checked against the transition table read from the models' own FSM fields:
a rule changed there changes (or breaks) the generator too.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from helpdesk.models import DepartmentTask, Message, Request
from workflows.states import ACTIVE_TASK_STATES, MAX_ESCALATION_LEVEL, RequestStatus, TaskStatus

from . import words

S = RequestStatus
T = TaskStatus


def transition_table(model):
    """{transition name: {source state: target state}} from the model's FSM field."""
    table = {}
    for t in model._meta.get_field("status").get_all_transitions(model):
        table.setdefault(t.name, {})[t.source] = t.target
    return table


REQUEST_MOVES = transition_table(Request)
TASK_MOVES = transition_table(DepartmentTask)


@dataclass
class Task:
    id: int
    department: tuple  # (id, slug, name)
    instructions: str
    created_by: int
    created_step: int
    due_in: timedelta | None
    status: str = T.OPEN
    assignee: int | None = None
    answer: str = ""
    updated_step: int = 0
    finished_step: int | None = None


@dataclass
class Event:
    step: int
    type: str
    public: bool
    actor: int | None
    payload: dict


@dataclass
class Life:
    """The state a request carries through its simulated actions."""

    id: int
    department: tuple  # (id, slug, name)
    customer_id: int
    status: str = S.NEW
    assignee: int | None = None
    priority: int = 2
    escalation_level: int = 0
    step: int = 0
    resolved_step: int | None = None
    events: list = field(default_factory=list)
    messages: list = field(default_factory=list)  # (id, step, kind, user, customer, body)
    tasks: list = field(default_factory=list)


class Simulator:
    """Plays requests through actions; ids for messages and tasks come from shared counters."""

    def __init__(self, rng, staff, departments, next_message_id, next_task_id):
        self.rng = rng
        self.staff = staff  # {dept_id: {"console"|"leads"|"workers": [(user id, name)]}}
        self.departments = departments  # [(id, slug, name)]
        self.next_message_id = next_message_id
        self.next_task_id = next_task_id

    # -- helpers ------------------------------------------------------------------
    def _act(self, life):
        life.step += 1
        return life.step

    def _record(self, life, step, type, public, actor, **payload):
        life.events.append(Event(step, type, public, actor, payload))

    def _move(self, life, step, name, actor):
        target = REQUEST_MOVES[name].get(life.status)
        if target is None:
            raise AssertionError(f"generator bug: {name} from {life.status}")
        if target != life.status:
            before, life.status = life.status, target
            active = sorted({t.department[2] for t in life.tasks if t.status in ACTIVE_TASK_STATES})
            extra = {"departments": active} if active else {}
            self._record(life, step, "status_changed", True, actor, old=before, new=target, **extra)

    def _move_if_possible(self, life, step, name, actor):
        if life.status in REQUEST_MOVES[name]:
            self._move(life, step, name, actor)

    def _message(self, life, step, kind, body, *, user=None, customer=None):
        message_id = self.next_message_id()
        life.messages.append((message_id, step, kind, user, customer, body))
        return message_id

    def console_member(self, department_id):
        return self.rng.choice(self.staff[department_id]["console"])

    def lead(self, department_id):
        return self.rng.choice(self.staff[department_id]["leads"])

    def worker(self, department_id):
        return self.rng.choice(self.staff[department_id]["workers"])

    # -- the actions (mirroring workflows.actions) ------------------------------------
    def open(self, life, subject, channel, actor=None):
        step = self._act(life)
        self._record(
            life,
            step,
            "request_opened",
            True,
            actor,
            subject=subject,
            channel=channel,
            department=life.department[2],
        )

    def assign(self, life, actor, assignee):
        step = self._act(life)
        life.assignee = assignee[0]
        self._record(
            life, step, "assigned", False, actor, assignee_id=assignee[0], assignee=assignee[1]
        )
        self._move_if_possible(life, step, "accept", actor)

    def reply(self, life, actor, body):
        step = self._act(life)
        message_id = self._message(life, step, Message.Kind.REPLY, body, user=actor)
        self._record(life, step, "replied", True, actor, message_id=message_id)
        self._move_if_possible(life, step, "await_customer", actor)

    def note(self, life, actor, body, task=None):
        step = self._act(life)
        message_id = self._message(life, step, Message.Kind.NOTE, body, user=actor)
        extra = {"task_id": task.id} if task else {}
        self._record(life, step, "note_added", False, actor, message_id=message_id, **extra)

    def customer_reply(self, life, body):
        step = self._act(life)
        message_id = self._message(life, step, Message.Kind.REPLY, body, customer=life.customer_id)
        self._record(life, step, "customer_replied", True, None, message_id=message_id)
        self._move_if_possible(life, step, "customer_answered", None)

    def hand_off(self, life, actor, department, instructions, due_in):
        step = self._act(life)
        task = Task(self.next_task_id(), department, instructions, actor, step, due_in)
        task.updated_step = step
        life.tasks.append(task)
        self._record(
            life,
            step,
            "task_created",
            False,
            actor,
            task_id=task.id,
            department_id=department[0],
            department=department[2],
        )
        self._move(life, step, "await_departments", actor)
        return task

    def _task_move(self, task, name, step):
        target = TASK_MOVES[name].get(task.status)
        if target is None:
            raise AssertionError(f"generator bug: task {name} from {task.status}")
        task.status = target
        task.updated_step = step

    def claim(self, life, task, actor):
        step = self._act(life)
        self._task_move(task, "claim", step)
        task.assignee = actor[0]
        self._record(
            life,
            step,
            "task_claimed",
            False,
            actor[0],
            task_id=task.id,
            department_id=task.department[0],
            department=task.department[2],
            assignee=actor[1],
        )

    def finish(self, life, task, actor, transition, event_type, answer):
        """complete_task / return_task / cancel_task: the last one hands the request back."""
        step = self._act(life)
        if transition == "complete" and task.assignee is None:
            task.assignee = actor
        self._task_move(task, transition, step)
        task.answer = answer
        task.finished_step = step
        self._record(
            life,
            step,
            event_type,
            False,
            actor,
            task_id=task.id,
            department_id=task.department[0],
            department=task.department[2],
        )
        if not any(t.status in ACTIVE_TASK_STATES for t in life.tasks):
            self._move_if_possible(life, step, "departments_answered", actor)

    def change_priority(self, life, actor, priority, reason):
        step = self._act(life)
        old, life.priority = life.priority, priority
        self._record(
            life, step, "priority_changed", False, actor, old=old, new=priority, reason=reason
        )

    def escalate(self, life, actor, reason):
        step = self._act(life)
        old = life.escalation_level
        life.escalation_level += 1
        self._record(
            life,
            step,
            "escalated",
            False,
            actor,
            old=old,
            new=life.escalation_level,
            reason=reason,
            automatic=False,
        )

    def deescalate(self, life, actor, reason):
        step = self._act(life)
        old = life.escalation_level
        life.escalation_level -= 1
        self._record(
            life,
            step,
            "deescalated",
            False,
            actor,
            old=old,
            new=life.escalation_level,
            reason=reason,
        )

    def console_transition(self, life, actor, name, **payload):
        """resolve / reopen / close: the move, then an event only when there is a payload."""
        step = self._act(life)
        self._move(life, step, name, actor)
        if life.status == S.RESOLVED:
            life.resolved_step = step
        if payload:
            self._record(life, step, name, False, actor, **payload)


FINAL_STATES = (S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER, S.WAITING_ON_DEPARTMENT, S.RESOLVED, S.CLOSED)
FINAL_WEIGHTS = (3, 7, 8, 6, 8, 68)


class Script:
    """Chooses which actions a request goes through to end in a given state."""

    def __init__(self, sim, rng):
        self.sim = sim
        self.rng = rng

    def text(self, pool, n, slots):
        return " ".join(self.rng.choice(pool).format(**slots) for _ in range(n))

    def play(self, life, final, budget, slots, subject, channel):
        sim, rng = self.sim, self.rng
        owner_dept = life.department[0]
        opener = sim.console_member(owner_dept)[0] if channel == Request.Channel.PHONE else None
        sim.open(life, subject, channel, opener)
        if final == S.NEW:
            if rng.random() < 0.3:
                sim.note(
                    life,
                    sim.console_member(owner_dept)[0],
                    self.text(words.NOTE_SENTENCES, 1, slots),
                )
            return
        owner = sim.console_member(owner_dept)
        sim.assign(life, sim.console_member(owner_dept)[0], owner)
        end_cost = {
            S.OPEN: 0,
            S.WAITING_ON_CUSTOMER: 2,
            S.WAITING_ON_DEPARTMENT: 3,
            S.RESOLVED: 2,
            S.CLOSED: 3,
        }[final]
        while len(life.events) + end_cost < budget:
            self.round(life, owner, slots)
        self.finish(life, final, owner, slots)

    def round(self, life, owner, slots):
        """One exchange that starts and ends with the request open (or new)."""
        sim, rng = self.sim, self.rng
        roll = rng.random()
        if roll < 0.45:
            sim.reply(life, owner[0], self.staff_text(slots))
            sim.customer_reply(life, self.customer_text(slots))
        elif roll < 0.65:
            sim.note(life, owner[0], self.text(words.NOTE_SENTENCES, rng.randint(1, 2), slots))
        elif roll < 0.88:
            self.department_round(life, owner, slots)
        elif roll < 0.93:
            priority = rng.choice([p for p in (1, 2, 3, 4) if p != life.priority])
            sim.change_priority(life, owner[0], priority, rng.choice(words.REASONS))
        elif roll < 0.96:
            if life.escalation_level < MAX_ESCALATION_LEVEL:
                sim.escalate(life, owner[0], rng.choice(words.REASONS))
            elif life.escalation_level:
                sim.deescalate(life, sim.lead(life.department[0])[0], "Handled, back to normal.")
        elif roll < 0.98:
            other = sim.console_member(life.department[0])
            if other[0] != life.assignee:  # assigning the same person again writes nothing
                sim.assign(life, owner[0], other)
        else:
            sim.console_transition(life, owner[0], "resolve")
            if rng.random() < 0.7:
                sim.customer_reply(life, self.customer_text(slots))
            else:
                sim.console_transition(life, owner[0], "reopen", reason="Customer called back.")

    def department_round(self, life, owner, slots):
        sim, rng = self.sim, self.rng
        tasks = self.hand_off(life, owner, slots, rng.choice((1, 1, 1, 2)))
        for task in tasks:
            dept_id = task.department[0]
            worker = sim.worker(dept_id)
            if rng.random() < 0.7:
                sim.claim(life, task, worker)
            if rng.random() < 0.2:
                sim.note(life, worker[0], self.text(words.NOTE_SENTENCES, 1, slots), task=task)
            roll = rng.random()
            if roll < 0.88:
                sim.finish(
                    life,
                    task,
                    worker[0],
                    "complete",
                    "task_completed",
                    rng.choice(words.TASK_ANSWERS),
                )
            elif roll < 0.96 or len(tasks) == 1:
                sim.finish(
                    life,
                    task,
                    worker[0],
                    "give_back",
                    "task_returned",
                    rng.choice(words.RETURN_REASONS),
                )
            else:
                sim.finish(life, task, owner[0], "cancel", "task_cancelled", "No longer needed.")

    def hand_off(self, life, owner, slots, count):
        sim, rng = self.sim, self.rng
        others = [d for d in sim.departments if d[0] != life.department[0]]
        tasks = []
        for department in rng.sample(others, count):
            pool = words.TASK_INSTRUCTIONS[department[1]]
            due_in = timedelta(hours=rng.randint(4, 120)) if rng.random() < 0.4 else None
            tasks.append(
                sim.hand_off(life, owner[0], department, rng.choice(pool).format(**slots), due_in)
            )
        return tasks

    def finish(self, life, final, owner, slots):
        sim, rng = self.sim, self.rng
        if final == S.WAITING_ON_CUSTOMER:
            sim.reply(life, owner[0], self.staff_text(slots))
        elif final == S.WAITING_ON_DEPARTMENT:
            for task in self.hand_off(life, owner, slots, rng.choice((1, 1, 2))):
                if rng.random() < 0.5:
                    sim.claim(life, task, sim.worker(task.department[0]))
        elif final in (S.RESOLVED, S.CLOSED):
            if rng.random() < 0.6:
                sim.reply(life, owner[0], self.staff_text(slots))
            sim.console_transition(life, owner[0], "resolve")
            if final == S.CLOSED:
                sim.console_transition(life, owner[0], "close")

    def staff_text(self, slots):
        return self.text(words.STAFF_SENTENCES, self.rng.randint(1, 3), slots)

    def customer_text(self, slots):
        return f"{self.rng.choice(words.OPENINGS)} " + self.text(
            words.CUSTOMER_SENTENCES, self.rng.randint(1, 3), slots
        )


def event_rows(life, times):
    """(request, seq, type, actor, visibility, payload, created_at, published_at) per event."""
    rows = []
    for seq, event in enumerate(life.events, start=1):
        at = times[event.step - 1] + timedelta(microseconds=seq)
        rows.append(
            (
                life.id,
                seq,
                event.type,
                event.actor,
                "public" if event.public else "internal",
                json.dumps(event.payload),
                at,
                at,
            )
        )
    return rows
