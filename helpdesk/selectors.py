"""Read-side queries for the pages and the live fragments: a constant number of SQL queries
however long the history, so a live update and a fresh page load cost the same to render."""

import unicodedata
from functools import cached_property, lru_cache

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.text import Truncator
from django.utils.translation import get_language

from helpdesk.models import ContextFact, DepartmentTask, Event, Goal, Message, Request
from workflows import permissions
from workflows.states import ACTIVE_REQUEST_STATES, ACTIVE_TASK_STATES, RequestStatus

RECENT_LIMIT = 10
TIMELINE_LIMIT = 500
PAGE_ENTRIES = 50


class Links:
    """`links[last]` is reverse(name, args=[*args, last]), from one reverse for all of them:
    a list's rows link to one view each, and a request page's forms post to a dozen actions.
    Fifty {% url %} tags were about 4 ms of a 50-row page."""

    MARKER = "2147483647"  # taken by the int and slug converters, and found nowhere else

    def __init__(self, name, *args):
        self.head, self.tail = reverse(name, args=[*args, self.MARKER]).split(self.MARKER)

    def __getitem__(self, last):
        return f"{self.head}{last}{self.tail}"


class Moment:
    """A time as the pages show it, each form worked out on first use: set on every row of a
    list and every timeline entry, it takes the place of two or three |date and |naturaltime
    filters per row, which were a good part of a page's rendering."""

    def __init__(self, value):
        self.value = value

    @cached_property
    def local(self):
        return timezone.localtime(self.value)

    @cached_property
    def iso(self):
        """What |date:"c" gives: the `datetime` of a <time>."""
        return self.local.isoformat()

    # The forms below are what |date gives for "j M Y, H:i", "j M, H:i" and "D j M, H:i",
    # written out: dateformat's general machinery took three times as long.

    @cached_property
    def full(self):
        return f"{self.day_month} {self.local.year:04d}, {self.hour_minute}"

    @cached_property
    def short(self):
        return f"{self.day_month}, {self.hour_minute}"

    @cached_property
    def with_weekday(self):
        return f"{WEEKDAYS_ABBR[self.local.weekday()]} {self.day_month}, {self.hour_minute}"

    @property
    def day_month(self):
        return f"{self.local.day} {MONTHS_3[self.local.month].title()}"

    @property
    def hour_minute(self):
        return f"{self.local.hour:02d}:{self.local.minute:02d}"

    @cached_property
    def ago(self):
        """What |naturaltime gives."""
        return NaturalTime.string_for(self.value)


@lru_cache(maxsize=4096)
def _translated(group, name, language, *items):
    return getattr(NaturalTimeFormatter, group)[name] % dict(items)


class _Kept:
    """One of |naturaltime's lazy phrases, filled in once per language and number: its
    translation lookups were most of the filter's 20 to 95 us, and a list shows fifty."""

    def __init__(self, group, name):
        self.group, self.name = group, name

    def __mod__(self, mapping):
        return _translated(self.group, self.name, get_language(), *mapping.items())


def _kept(group, skip=()):
    phrases = getattr(NaturalTimeFormatter, group)
    return {
        name: phrase if name in skip else _Kept(group, name) for name, phrase in phrases.items()
    }


class NaturalTime(NaturalTimeFormatter):
    """Django's own |naturaltime (its arithmetic, its words), with its phrases kept."""

    time_strings = _kept("time_strings", skip={"now"})  # "now" is shown as it is, never filled
    past_substrings = _kept("past_substrings")
    future_substrings = _kept("future_substrings")


def shortened(text, length):
    """What Truncator(text).chars(length) gives, without its work (about 40 us) for a text
    that already fits, as most do: fifty rows of two such texts each."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


def request_with_context(pk):
    return Request.objects.select_related("customer__organisation", "department", "assignee").get(
        pk=pk
    )


def attach_objects(events, known_tasks=()):
    """Give each event the message or task it is about (two queries for any number), and its
    time as a Moment."""
    return attach_messages(attach_tasks(events, known_tasks))


def attach_tasks(events, known_tasks=()):
    """Give each event its task and its time as a Moment: what an entry's kept copy is named
    by (helpdesk.timeline). `known_tasks`, loaded already with their departments and assignees
    (the tasks panel beside the timeline holds the recent ones), are not asked for again."""
    tasks = {task.pk: task for task in known_tasks}
    task_ids = {e.payload["task_id"] for e in events if "task_id" in e.payload} - tasks.keys()
    if task_ids:
        tasks |= DepartmentTask.objects.select_related("department", "assignee").in_bulk(task_ids)
    for event in events:
        event.task = tasks.get(event.payload.get("task_id"))
        event.created = Moment(event.created_at)
    return events


def attach_messages(events):
    """Give each event that has none yet the message it is about, in one query."""
    events_without = [e for e in events if "message" not in e.__dict__]
    message_ids = {e.payload["message_id"] for e in events_without if "message_id" in e.payload}
    messages = (
        Message.objects.select_related("author_user", "author_customer").in_bulk(message_ids)
        if message_ids
        else {}
    )
    for event in events_without:
        event.message = messages.get(event.payload.get("message_id"))
    return events


def timeline(request, *, public_only=False, after_seq=0, event_ids=None):
    """The request's log in order; the customer's view holds public events only."""
    events = Event.objects.filter(request=request, seq__gt=after_seq).select_related("actor")
    if public_only:
        events = events.filter(visibility=Event.Visibility.PUBLIC)
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    return attach_objects(list(events.order_by("seq")[:TIMELINE_LIMIT]))


def recent_timeline(request, *, public_only=False, before_seq=None, known_tasks=()):
    """What a page shows: the newest PAGE_ENTRIES (before `before_seq`, for "show earlier"),
    in order, and whether older entries remain. A request with a long history renders as fast
    as a short one; live updates append to it. `known_tasks`: see attach_tasks. Their
    messages are loaded by helpdesk.timeline for the entries it has not kept.

    Nothing newer than `request.last_event_seq` as loaded: the page's sequence marker says
    that number, and its live socket brings what came after, each entry once."""
    events = Event.objects.filter(request=request, seq__lte=request.last_event_seq)
    events = events.select_related("actor")
    if public_only:
        events = events.filter(visibility=Event.Visibility.PUBLIC)
    if before_seq is not None:
        events = events.filter(seq__lt=before_seq)
    newest = list(events.order_by("-seq")[: PAGE_ENTRIES + 1])
    return attach_tasks(newest[:PAGE_ENTRIES][::-1], known_tasks), len(newest) > PAGE_ENTRIES


def last_public_seq(request, before_seq):
    return (
        Event.objects.filter(
            request=request, visibility=Event.Visibility.PUBLIC, seq__lt=before_seq
        )
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
        or 0
    )


def departments_holding(request):
    """The departments the customer is told hold their request ("with our finance team"):
    those with an open task, and only while the request waits on departments."""
    if request.status != RequestStatus.WAITING_ON_DEPARTMENT:
        return []
    names = request.tasks.filter(status__in=ACTIVE_TASK_STATES).values_list(
        "department__name", flat=True
    )
    return sorted(set(names.order_by()))


def tasks_of(request):
    return list(
        request.tasks.select_related("department", "assignee", "created_by").order_by("created_at")
    )


FINISHED_TASKS_SHOWN = 10


def tasks_on_page(request):
    """The tasks panel: every open task and the latest finished ones, in one query. A long
    history can hold hundreds of finished tasks; each stays in the conversation, and
    `request.earlier_tasks` says the panel left some out."""
    finished = (
        request.tasks.exclude(status__in=ACTIVE_TASK_STATES)
        .order_by("-created_at", "-pk")
        .values("pk")[: FINISHED_TASKS_SHOWN + 1]
    )
    tasks = list(
        request.tasks.filter(Q(status__in=ACTIVE_TASK_STATES) | Q(pk__in=finished))
        .select_related("department", "assignee")
        .order_by("created_at", "pk")
    )
    finished_shown = [t for t in tasks if t.status not in ACTIVE_TASK_STATES]
    request.earlier_tasks = len(finished_shown) > FINISHED_TASKS_SHOWN
    if request.earlier_tasks:
        tasks.remove(finished_shown[0])
    return tasks


def attach_sla_badges(req, tasks):
    """The request's and its tasks' SLA badges: set here for the page and its live pushes alike,
    one query for the clocks (and one for their calendars) whatever the number of tasks."""
    from workflows.sla.selectors import badges_for_request_and_tasks

    req.sla_badge, badges = badges_for_request_and_tasks(req, tasks)
    for task in tasks:
        task.sla_badge = badges.get(task.pk)
    return tasks


def customer_context(request, viewer):
    """Who the customer is, what they are trying to achieve, and everything else going on;
    `openable` holds the other requests `viewer` may open (the rest are named, not linked)."""
    customer = request.customer
    org = customer.organisation
    open_requests, past_requests = other_requests(request, viewer)
    theirs = Q(customer=customer) | Q(organisation=org) if org else Q(customer=customer)
    goals = Goal.objects.filter(theirs)
    facts = ContextFact.objects.filter(theirs)
    return {
        "customer": customer,
        "organisation": org,
        "goals": list(goals.order_by("status", "-created_at")[:RECENT_LIMIT]),
        "open_requests": open_requests,
        "past_requests": past_requests,
        "openable": {r.pk for r in open_requests + past_requests if r.openable},
        "facts": list(facts.order_by("-observed_at")[:RECENT_LIMIT]),
        "tasks_elsewhere": list(
            DepartmentTask.objects.filter(customer=customer, status__in=ACTIVE_TASK_STATES)
            .exclude(request=request)
            .select_related("department")
            .only("instructions", "request_id", "department__name")
            .order_by("-created_at", "-id")[:RECENT_LIMIT]
        ),
    }


def other_requests(request, viewer):
    """(open, past): the customer's other requests, newest first, up to RECENT_LIMIT of each,
    each with `openable` (may `viewer` open it) worked out in the same query rather than a
    third. Two limited queries, not one: a customer with thousands of requests would make one
    query rank them all."""
    others = (
        Request.objects.filter(customer_id=request.customer_id)
        .exclude(pk=request.pk)
        .only("subject", "status", "created_at")
        .annotate(openable=permissions.may_open(viewer))
        .order_by("-created_at")
    )
    return (
        list(others.filter(status__in=ACTIVE_REQUEST_STATES)[:RECENT_LIMIT]),
        list(others.exclude(status__in=ACTIVE_REQUEST_STATES)[:RECENT_LIMIT]),
    )


def requests_with_open_tasks(queryset, task_fields=None):
    """Each request's open tasks as `open_tasks`, with their departments, in one query;
    `task_fields` loads only those columns of each task (a list that shows a few)."""
    tasks = DepartmentTask.objects.filter(status__in=ACTIVE_TASK_STATES).select_related(
        "department"
    )
    if task_fields:
        tasks = tasks.only(*task_fields)
    return queryset.prefetch_related(Prefetch("tasks", queryset=tasks, to_attr="open_tasks"))
