"""Read side for pages that show email files."""

from collections import defaultdict

from helpdesk.mail.models import Attachment


def attachments_by_message(request):
    """{message id, or None for the opening email: [attachments]}, without their bytes, in
    one query: the request page looks each message's files up here."""
    grouped = defaultdict(list)
    for item in Attachment.objects.filter(request=request).defer("data"):
        grouped[item.message_id].append(item)
    return dict(grouped)
