"""`manage.py load_demo`: demo accounts, people, staff and ~50 requests with real event logs.

Idempotent: reference data is got-or-created by natural keys (an edit made in the admin
survives a rerun), and the requests are played only when no demo customer has one yet.
Every request is played through the workflows actions, never by setting a status, so its
event log is the one a real request would have. Each step runs under a travelling clock, so
the timeline looks lived-in; everything runs in one transaction and the live updates go out
after it commits.
"""

import random
from collections import Counter
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from helpdesk.management import demo_content as content
from helpdesk.models import (
    ContextFact,
    Customer,
    Department,
    Goal,
    Organisation,
    Priority,
    Request,
    StaffMembership,
)
from workflows import actions
from workflows.sla.defaults import install_defaults as install_sla_defaults

SEED = 20261123
CHANNELS = {"web": 5, "email": 4, "phone": 2, "api": 1}
PRIORITIES = {Priority.LOW: 2, Priority.NORMAL: 5, Priority.HIGH: 3, Priority.URGENT: 1}


class Command(BaseCommand):
    help = "Load the demo data (safe to run again: nothing is duplicated)."

    def handle(self, *args, **options):
        with transaction.atomic():
            departments = load_departments()
            users = load_users(departments)
            customers = load_customers()
            if Request.objects.filter(customer__in=customers).exists():
                self.stdout.write("Demo data already loaded; nothing to add.")
                return
            install_sla_defaults()  # office hours, policies and a ladder: demo clocks run
            count = play_requests(random.Random(SEED), departments, users, customers)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {count} requests."))


def load_departments():
    return {
        slug: Department.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )[0]
        for slug, name, description in content.DEPARTMENTS
    }


def load_users(departments):
    users = {}
    for demo in content.USERS:
        user, created = get_user_model().objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@nucleus.example",
                "is_staff": demo.superuser,
                "is_superuser": demo.superuser,
            },
        )
        if created:
            user.set_password(content.PASSWORD)
            user.save(update_fields=["password"])
        StaffMembership.objects.get_or_create(
            user=user, department=departments[demo.department], defaults={"role": demo.role}
        )
        users[demo.username] = user
    return users


def load_customers():
    organisations = {}
    for spec in content.ORGANISATIONS:
        org, _ = Organisation.objects.get_or_create(
            name=spec["name"], defaults={"tier": spec["tier"], "notes": spec["notes"]}
        )
        for text, status in spec["goals"]:
            Goal.objects.get_or_create(organisation=org, text=text, defaults={"status": status})
        organisations[org.name] = org
    customers = {}
    for name, email, org_name in content.CUSTOMERS:
        customers[email], _ = Customer.objects.get_or_create(
            email=email, defaults={"name": name, "organisation": organisations.get(org_name)}
        )
    for email, goals in content.CUSTOMER_GOALS.items():
        for text, status in goals:
            Goal.objects.get_or_create(
                customer=customers[email], text=text, defaults={"status": status}
            )
    now = timezone.now()
    for source, external_id, kind, label, value, link, days_ago, subject in content.FACTS:
        ContextFact.objects.get_or_create(
            source=source,
            external_id=external_id,
            defaults={
                "customer": customers.get(subject),
                "organisation": organisations.get(subject),
                "kind": kind,
                "label": label,
                "value": value,
                "link": link,
                "observed_at": now - timedelta(days=days_ago),
            },
        )
    return list(customers.values())


def play_requests(rng, departments, users, customers):
    """Shuffle the stories, give each a topic, a customer and a past, and play them."""
    plan = [(age, steps) for _, count, age, steps in content.PATHS for _ in range(count)]
    rng.shuffle(plan)
    escalated = rng.sample(range(len(plan)), content.ESCALATED)
    deescalated = escalated[: content.DEESCALATED]
    topic_use = Counter()
    now = timezone.now()
    for index, ((youngest, oldest), steps) in enumerate(plan):
        if index in escalated:
            extra = ("escalate", "deescalate") if index in deescalated else ("escalate",)
            steps = steps[:1] + extra + steps[1:]
        age = timedelta(hours=rng.uniform(youngest, oldest))
        moments = sorted(now - age * rng.uniform(0.02, 0.95) for _ in steps)
        topic = pick_topic(rng, topic_use, steps)
        story = Story(rng, topic, rng.choice(customers), users, departments)
        with time_machine.travel(now - age, tick=False):
            story.open()
        for moment, step in zip(moments, steps, strict=True):
            with time_machine.travel(moment, tick=False):
                getattr(story, step)()
    return len(plan)


def pick_topic(rng, topic_use, steps):
    """The least used topic that the story's hand-offs can work with."""
    fits = [
        t
        for t in content.TOPICS
        if (t.department or "hand_off" not in steps) and (t.also or "hand_off_also" not in steps)
    ]
    least = min(topic_use[t.subject] for t in fits)
    topic = rng.choice([t for t in fits if topic_use[t.subject] == least])
    topic_use[topic.subject] += 1
    return topic


class Story:
    """One request played step by step; each method is a step named in content.PATHS."""

    def __init__(self, rng, topic, customer, users, departments):
        self.rng = rng
        self.topic = topic
        self.customer = customer
        self.users = users
        self.departments = departments
        self.clerks = {
            u.department: users[u.username] for u in content.USERS if u.role == "back_office"
        }
        self.owner = users["agent"]
        self.values = {
            "order": f"SO-{rng.randint(88000, 89999)}",
            "invoice": f"INV-2026-{rng.randint(100, 999):04d}",
            "ref": rng.randint(1000, 9999),
        }
        self.request = self.task = None

    def say(self, text):
        return text.format(**self.values)

    def open(self):
        channel = self.rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
        self.request = actions.open_request(
            customer=self.customer,
            subject=self.say(self.topic.subject),
            body=self.say(self.topic.body),
            department=self.departments["support"],
            channel=channel,
            priority=self.rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0],
            actor=self.users["agent"] if channel == "phone" else None,
        )

    @property
    def rid(self):
        return self.request.pk

    @property
    def clerk(self):
        return self.clerks[self.topic.department]

    def _hand_off(self, department, instructions):
        return actions.hand_off(
            self.rid,
            self.owner,
            department=self.departments[department],
            instructions=self.say(instructions),
            due_at=timezone.now() + timedelta(hours=self.rng.choice([4, 8, 24, 48])),
        )

    # Staff steps -----------------------------------------------------------------------

    def assign(self):
        self.owner = self.users[self.rng.choices(["agent", "lead"], weights=[3, 1])[0]]
        actions.assign(self.rid, self.owner, self.owner)

    def note(self):
        actions.add_internal_note(self.rid, self.owner, self.rng.choice(content.AGENT_NOTES))

    def hand_off(self):
        self.task = self._hand_off(self.topic.department, self.topic.instructions)

    def hand_off_also(self):
        self._hand_off(*self.topic.also)

    def claim(self):
        actions.claim_task(self.task.pk, self.clerk)

    def complete(self):
        actions.complete_task(self.task.pk, self.clerk, answer=self.say(self.topic.answer))

    def question(self):
        question = content.DEPARTMENT_QUESTIONS[self.topic.department]
        actions.add_internal_note(self.rid, self.clerk, question, task=self.task)

    def send_back(self):
        reason = content.RETURN_REASONS[self.topic.department]
        actions.return_task(self.task.pk, self.clerk, reason=reason)

    def cancel(self):
        reason = self.rng.choice(content.CANCEL_REASONS)
        actions.cancel_task(self.task.pk, self.owner, reason=reason)

    def ask(self):
        actions.reply(self.rid, self.owner, self.say(self.topic.ask))

    def solution(self):
        actions.reply(self.rid, self.owner, self.say(self.topic.solution))

    def resolve(self):
        actions.resolve(self.rid, self.owner)

    def close(self):
        actions.close(self.rid, self.owner)

    def reopen(self):
        actions.reopen(self.rid, self.owner, reason=content.REOPEN_REASON)

    def escalate(self):
        reason = self.rng.choice(content.ESCALATION_REASONS)
        actions.escalate(self.rid, self.users["lead"], reason=reason)

    def deescalate(self):
        actions.deescalate(self.rid, self.users["lead"], reason=content.DEESCALATION_REASON)

    # Customer steps ----------------------------------------------------------------------

    def _customer_says(self, text):
        actions.customer_reply(self.rid, self.customer, self.say(text))

    def chase(self):
        self._customer_says(self.rng.choice(content.CHASERS))

    def clarify(self):
        self._customer_says(self.topic.clarify)

    def thanks(self):
        self._customer_says(self.topic.thanks)

    def not_fixed(self):
        self._customer_says(content.NOT_FIXED)
