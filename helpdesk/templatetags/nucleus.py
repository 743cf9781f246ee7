"""Filters shared by the pages and the live fragments."""

import markdown as markdown_lib
import nh3
from django import template
from django.conf import settings
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from helpdesk.selectors import shortened
from workflows import permissions

register = template.Library()

STATUS_WORDS = {
    "new": "received, we will look at it shortly",
    "open": "being worked on",
    "waiting_on_customer": "waiting for your reply",
    "resolved": "resolved",
    "closed": "closed",
}


@register.filter
def body_html(message):
    """Markdown is rendered and then cleaned with an allow-list; plain text is escaped."""
    if message.is_markdown:
        return mark_safe(nh3.clean(markdown_lib.markdown(message.body)))
    return mark_safe(linebreaks(message.body, autoescape=True))


@register.filter
def files_for(attachments, message_id):
    """One message's files from attachments_by_message (None: the opening email's)."""
    return (attachments or {}).get(message_id, [])


@register.filter
def shorten(text, length):
    """|truncatechars, without its work for a text that already fits (selectors.shortened)."""
    return shortened(text, length)


@register.filter
def plain_body(text):
    return mark_safe(linebreaks(text, autoescape=True))


@register.filter
def status_words(status, departments=None):
    """What a customer reads: "with our finance team", never internal detail."""
    if status == "waiting_on_department":
        if departments:
            return "with our " + " and ".join(d.lower() for d in departments) + " team"
        return "with one of our teams"
    return STATUS_WORDS.get(status, status.replace("_", " "))


@register.filter
def new_status_words(payload):
    return status_words(payload.get("new", ""), payload.get("departments"))


@register.filter
def public_name(user):
    """Customers see staff by first name unless the deployment says otherwise."""
    if user is None:
        return "Our team"
    if settings.NUCLEUS_STATUS_SHOWS_FULL_STAFF_NAMES:
        return user.get_full_name() or user.first_name or "Our team"
    return user.first_name or "Our team"


@register.filter
def staff_name(user):
    return "System" if user is None else permissions.staff_name(user)


@register.filter
def state_label(value):
    return str(value).replace("_", " ").capitalize()
