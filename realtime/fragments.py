"""What the live socket pushes: the same template partials the pages render.

Rendered once per process and audience (staff, public, list pokes), not once per socket; a
staff viewer's own buttons once per permission set. Timeline entries are kept rendered and
shared with the pages (helpdesk.timeline.entries): the next load of a page finds them.
"""

from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace

from django.template.loader import render_to_string

from helpdesk import selectors, timeline
from helpdesk.console.context import request_context
from helpdesk.models import Event, Request
from realtime import presence as presence_store
from workflows import permissions

CATCH_UP_LIMIT = 200
# Internal events that change which departments hold a request, hence the customer's status words.
TASK_EVENTS = {"task_created", "task_completed", "task_returned", "task_cancelled"}
# In own controls rendered for a permission set, the only parts that differ between the users
# who share it; each socket writes its own in (Push.frame).
USER_MARK = "nucleus-user-0b5e"
CSRF_MARK = "nucleus-csrf-0b5e"


@dataclass(frozen=True)
class Push:
    """One message for the sockets of a topic.

    `seq` is the newest event it carries, `first` the oldest, and `after` the newest one a
    socket must already have for this push to follow on without a gap; lists and presence
    carry no sequence. `entries` are its timeline entries by seq and `tail` what follows
    them, so that a page already showing some of them gets the rest (`following`).
    `own` maps a staff viewer's user id to their buttons, composer and hand-off panel, and
    None to the poke with which a viewer not rendered for fetches their own.
    """

    html: str
    seq: int = 0
    first: int = 0
    after: int = 0
    entries: tuple = ()
    tail: str = ""
    close_unless_token: str = ""
    own: MappingProxyType | None = None

    @classmethod
    def of_entries(cls, entries, tail, **fields):
        return cls(
            html=_timeline_append(entries) + tail,
            seq=entries[-1][0],
            first=entries[0][0],
            entries=entries,
            tail=tail,
            **fields,
        )

    def following(self, seq):
        """This push for a page that shows `seq` already (a catch-up overtook a merged batch
        half-way): the entries after it, and the rest."""
        entries = tuple(entry for entry in self.entries if entry[0] > seq)
        return Push.of_entries(entries, self.tail, after=seq, own=self.own)

    def frame(self, user_id=None, csrf_token=""):
        """What one socket is sent: the shared part, then that user's own controls."""
        if self.own is None:
            return self.html
        own = self.own.get(user_id)
        if own is None:
            return self.html + self.own[None]
        return self.html + own.replace(USER_MARK, str(user_id)).replace(CSRF_MARK, csrf_token)


def topics_for(message):
    request_id = message["request_id"]
    return [f"request:{request_id}", f"status:{request_id}", *message.get("topics", ())]


def render_batch(request_id, event_ids, topics, viewers=()):
    """The pushes for each watched topic; `viewers` are the users with the request open.
    Only the staff push shows the customer, department and assignee: without a staff page
    watching, the request is read alone."""
    if any(topic.startswith("request:") for topic in topics):
        req = selectors.request_with_context(request_id)
    else:
        req = Request.objects.get(pk=request_id)
    events = selectors.timeline(req, event_ids=event_ids)
    return [push for run in _runs(events) for push in _pushes(req, run, topics, viewers)]


def _runs(events):
    """`events` cut where a seq is skipped. A push says which seq it follows on from, so it
    must hold no gap: a socket would take the entries around one as all there is. A batch
    holds one when it was merged or relayed while the event in between was still on its way."""
    runs = []
    for event in events:
        if runs and event.seq == runs[-1][-1].seq + 1:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def _pushes(req, events, topics, viewers):
    pushes = []
    for topic in topics:
        kind = topic.split(":", 1)[0]
        if kind == "request":
            pushes.append((topic, staff_push(req, events, viewers=viewers)))
        elif kind == "status":
            push = public_push(req, events)
            if push is not None:
                pushes.append((topic, push))
        else:
            pushes.append((topic, list_push(events[-1].pk)))
    return pushes


def staff_push(req, events, *, after=None, viewers=None):
    """Timeline entries, the header and tasks, then each viewer's own controls: rendered here
    for `viewers`, otherwise (a catch-up, shared by whoever resumes from the same seq) a poke
    with which each page fetches its own."""
    tasks = selectors.attach_sla_badges(req, selectors.tasks_on_page(req))
    context = {"req": req, "tasks": tasks, "oob": True}
    entries = timeline.entries(req, events)
    parts = [render_to_string("console/request.html#header", context)]
    parts.append(render_to_string("console/request.html#tasks", context))
    parts.append(_seq_marker(events[-1].seq))  # the newest entry this push shows
    poke = render_to_string("console/request.html#actions", context | {"poke": True})
    if viewers is None:
        parts.append(poke)
    return Push.of_entries(
        entries,
        "".join(parts),
        after=events[0].seq - 1 if after is None else after,
        own=None if viewers is None else own_controls(req, tasks, viewers, poke),
    )


def own_controls(req, tasks, viewers, poke):
    """{user id: buttons, composer and hand-off panel} as the own-controls GET answers them,
    rendered once per permission set instead of fetched once per socket; a viewer who may no
    longer see the request gets nothing (its socket is being closed)."""
    variants = {}
    own = {None: poke}
    for user in viewers:
        if not permissions.can_view_request(user, req):
            own[user.pk] = ""
            continue
        key = (
            permissions.can_work_request(user, req),
            permissions.can_lead_request(user, req),
            req.assignee_id == user.pk,
        )
        if key not in variants:
            context = request_context(user, req, tasks) | {
                "user": SimpleNamespace(pk=USER_MARK),
                "csrf_token": CSRF_MARK,
            }
            variants[key] = render_to_string("console/request.html#own_controls", context)
        own[user.pk] = variants[key]
    return MappingProxyType(own)


def public_push(req, events, *, after=None):
    public = [e for e in events if e.visibility == Event.Visibility.PUBLIC]
    if any(e.type == "status_link_revoked" for e in events):  # a relayed batch may hold more
        return Push(html="", close_unless_token=req.public_token)
    if not public and not any(e.type in TASK_EVENTS for e in events):
        return None
    summary = _status_summary(req)
    if not public:
        # Internal only, but which teams hold the request changed: "with our finance team".
        return Push(html=summary)
    entries = timeline.entries(req, public, public_only=True)
    if after is None:
        after = selectors.last_public_seq(req, public[0].seq)
    return Push.of_entries(entries, summary + _seq_marker(public[-1].seq), after=after)


def catch_up(request_id, after_seq, *, public):
    """What a (re)connecting socket missed since `after_seq`, or a reload when it is a lot.

    After a restart every page of a request comes back from the same seq at once: the push
    is rendered once and shared, keyed by the request's newest seq so it is never stale."""
    req = selectors.request_with_context(request_id)
    key = (request_id, after_seq, public, req.last_event_seq)
    if key not in _recent_catch_ups:
        if len(_recent_catch_ups) >= RECENT_CATCH_UPS:
            _recent_catch_ups.pop(next(iter(_recent_catch_ups)))
        _recent_catch_ups[key] = _render_catch_up(req, after_seq, public=public)
    return _recent_catch_ups[key]


RECENT_CATCH_UPS = 256
_recent_catch_ups = {}


def _render_catch_up(req, after_seq, *, public):
    missed = Event.objects.filter(request=req, seq__gt=after_seq)
    if public:
        missed = missed.filter(visibility=Event.Visibility.PUBLIC)
    count = missed.count()
    if count > CATCH_UP_LIMIT:
        return Push(html=render_to_string("partials/live.html#reload"), seq=req.last_event_seq)
    if count == 0:
        # The status words also follow internal task events, which a public count cannot
        # see: a resuming status page always gets the current ones.
        return Push(html=_status_summary(req)) if public else None
    events = selectors.timeline(req, public_only=public, after_seq=after_seq)
    if public:
        return public_push(req, events, after=after_seq)
    return staff_push(req, events, after=after_seq)


def newest_seq(request_id, *, public):
    events = Event.objects.filter(request_id=request_id)
    if public:
        events = events.filter(visibility=Event.Visibility.PUBLIC)
    return events.order_by("-seq").values_list("seq", flat=True).first() or 0


def list_push(poke):
    return Push(html=render_to_string("partials/live.html#list_poke", {"poke": poke, "oob": True}))


def presence(request_id):
    viewers = presence_store.viewers(request_id)
    html = render_to_string("console/request.html#presence", {"viewers": viewers, "oob": True})
    return Push(html=html)


def live_state(live):
    return Push(html=render_to_string("partials/live.html#live_state", {"live": live, "oob": True}))


def _status_summary(req):
    """The customer's status words, which name the departments holding the request."""
    departments = selectors.departments_holding(req)
    return render_to_string(
        "status/page.html#summary", {"req": req, "departments": departments, "oob": True}
    )


def _timeline_append(entries):
    return f'<div hx-swap-oob="beforeend:#timeline">{"".join(html for _, html in entries)}</div>'


def _seq_marker(seq):
    return render_to_string("partials/live.html#seq_marker", {"seq": seq, "oob": True})
