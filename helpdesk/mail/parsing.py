"""Reading raw mail with the standard library (policy.default).

`read_envelope` looks at the headers only, so even mail too large to import can be matched to
its request and recorded; `read_content` parses the whole message for its text and files.
"""

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser, BytesParser

from helpdesk.mail import conf, htmltext
from helpdesk.mail.addresses import LOOP_HEADER

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTO_REPLY_HEADERS = ("X-Auto-Response-Suppress", "X-Autoreply", "X-Autorespond")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def one_line(value, max_length):
    """Header text as stored: no control characters or line breaks, whitespace collapsed."""
    return re.sub(r"\s+", " ", CONTROL.sub(" ", value)).strip()[:max_length]


def clean_text(value):
    """Body text as stored: plain newlines, no NULs (PostgreSQL refuses them) or controls."""
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


@dataclass
class Envelope:
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    message_id: str = ""
    thread_ids: list = field(default_factory=list)
    recipients: list = field(default_factory=list)
    automatic: str = ""  # why no one should answer it: "loop", "bounce", "auto-reply"

    def dedupe_key(self, raw):
        """Sender and Message-ID: a redelivery matches, a careless client reusing an ID for
        another sender's mail does not. Without an ID, the exact bytes."""
        if not self.message_id:
            return hashlib.sha256(raw).hexdigest()
        return hashlib.sha256(f"{self.sender.lower()} {self.message_id}".encode()).hexdigest()


@dataclass
class File:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Content:
    text: str
    files: list


def _header(msg, name):
    """A header as text; a malformed one reads as empty rather than failing the import."""
    try:
        value = msg[name]
    except Exception:
        return ""
    return "" if value is None else str(value)


def _addresses(msg, name):
    found = []
    try:
        headers = msg.get_all(name, [])
        for header in headers:
            found += [a for a in getattr(header, "addresses", ()) if a.username and a.domain]
    except Exception:
        return []
    return found


def read_envelope(raw):
    msg = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    senders = _addresses(msg, "From")
    envelope = Envelope(
        subject=one_line(_header(msg, "Subject"), 300),
        message_id=(MESSAGE_ID.findall(_header(msg, "Message-ID")) or [""])[0][:998],
        thread_ids=MESSAGE_ID.findall(
            _header(msg, "In-Reply-To") + " " + _header(msg, "References")
        ),
        recipients=[a.addr_spec for h in RECIPIENT_HEADERS for a in _addresses(msg, h)],
    )
    if senders:
        envelope.sender = senders[0].addr_spec[:254]
        envelope.sender_name = one_line(senders[0].display_name, 200)
    envelope.automatic = automatic_reason(msg, envelope.sender)
    return envelope


def automatic_reason(msg, sender):
    """Mail no one should answer: our own coming back, bounces, and auto-replies."""
    if msg.get(LOOP_HEADER) is not None or sender.lower() == conf.mailbox().lower():
        return "loop"
    if (
        sender.partition("@")[0].lower() in BOUNCE_SENDERS
        or msg.get_content_type() == "multipart/report"
        or _header(msg, "Return-Path").strip() == "<>"
    ):
        return "bounce"
    auto_submitted = _header(msg, "Auto-Submitted").partition(";")[0].strip().lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or _header(msg, "Precedence").strip().lower() in BULK_PRECEDENCE
        or any(msg.get(name) is not None for name in AUTO_REPLY_HEADERS)
    ):
        return "auto-reply"
    return ""


def read_content(raw):
    """The message's text (plain preferred, else sanitised HTML as text) and its files."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = "" if body is None else _text_of(body)
    leaves = [part for part, alternative in _leaves(msg) if _is_file(part, body, alternative)]
    files = [_file(part, number) for number, part in enumerate(leaves, 1)]
    return Content(text=clean_text(text), files=files)


def _text_of(part):
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # unknown or lying charset
        text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return htmltext.to_text(text) if part.get_content_subtype() == "html" else text


def _leaves(part, alternative=False):
    """(part, inside multipart/alternative) for every non-container part; a forwarded
    message stays whole, as one file."""
    if part.get_content_maintype() == "multipart":
        alternative = alternative or part.get_content_subtype() == "alternative"
        for sub in part.iter_parts():
            yield from _leaves(sub, alternative)
    else:
        yield part, alternative


def _is_file(part, body, alternative):
    """Anything but the body, except the body's other renderings (its HTML twin)."""
    if part is body:
        return False
    is_text = part.get_content_type() in ("text/plain", "text/html")
    return not (alternative and is_text and not part.get_filename())


def _file(part, number):
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        data = part.get_payload(0).as_bytes(policy=policy.default.clone(linesep="\r\n"))
    else:
        data = part.get_payload(decode=True) or b""
    name = one_line(part.get_filename() or "", 255)
    if not name:
        name = f"attachment-{number}{mimetypes.guess_extension(content_type) or '.bin'}"
    return File(filename=name, content_type=one_line(content_type, 255), data=data)
