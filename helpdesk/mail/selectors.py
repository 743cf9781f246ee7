"""Read side for pages that show email files."""

from collections import defaultdict

from django.db.models import Q

from helpdesk.mail.models import Attachment


def attachments_by_message(request, events):
    """{message id, or None for the opening email: [attachments]} of these timeline events,
    without their bytes, in one query, and none when no event can show a file: the entries
    rendered after an event are one or two, and a long thread's files are many. The events
    are a run of the log, so their messages are those in their id range: two parameters
    rather than fifty."""
    message_ids = [e.payload["message_id"] for e in events if "message_id" in e.payload]
    shown = []
    if message_ids:
        shown.append(Q(message_id__gte=min(message_ids), message_id__lte=max(message_ids)))
    if any(e.type == "request_opened" for e in events):
        shown.append(Q(message__isnull=True))
    if not shown:
        return {}
    files = Attachment.objects.filter(Q(*shown, _connector=Q.OR), request=request)
    grouped = defaultdict(list)
    for item in files.defer("data"):
        grouped[item.message_id].append(item)
    return dict(grouped)
