"""Signed reply addresses, Message-IDs and the loop marker.

A reply address is the support mailbox plus-addressed with a signed token:
``support+r.<token>@example.com``. The token names the request and, for staff, the user and
whether their answer goes to the customer or stays internal. Only a token we signed, within
its age, makes an email count as that staff user's; a From header proves nothing.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils.crypto import salted_hmac

from helpdesk.mail import conf

TOKEN_TAG = "r."
SALT = "nucleus.mail.reply-token"
LOOP_HEADER = "X-Nucleus-Loop"


class Kind:
    CUSTOMER = "c"
    STAFF_REPLY = "r"
    STAFF_NOTE = "n"


@dataclass(frozen=True)
class ReplyToken:
    request_id: int
    user_id: int | None
    kind: str

    @property
    def is_staff(self):
        return self.user_id is not None


class _ShortSigner(signing.TimestampSigner):
    """A 128-bit signature keeps the address within the 64 characters a local part may have."""

    def signature(self, value, key=None):
        return super().signature(value, key)[:22]


def _signer():
    # "." is outside the signature alphabet and allowed in an address's local part.
    return _ShortSigner(salt=SALT, sep=".")


def split(address):
    local, _, domain = address.rpartition("@")
    return local, domain


def reply_address(request, *, user=None, note=False):
    """Where a reply to our email should go. With a user, their reply is posted as theirs: as
    an internal note if `note`, else as a public reply."""
    if user is None:
        kind, user_id = Kind.CUSTOMER, 0
    else:
        kind, user_id = (Kind.STAFF_NOTE if note else Kind.STAFF_REPLY), user.pk
    token = _signer().sign(f"{request.pk}-{user_id}-{kind}")
    local, domain = split(conf.mailbox())
    return f"{local}+{TOKEN_TAG}{token}@{domain}"


def read_token(address):
    """The verified token in a plus-addressed recipient, or None (absent, forged, expired)."""
    local, _ = split(address)
    _, plus, tag = local.partition("+")
    if not plus or not tag.startswith(TOKEN_TAG):
        return None
    try:
        value = _signer().unsign(
            tag.removeprefix(TOKEN_TAG), max_age=timedelta(days=conf.token_max_age_days())
        )
        request_id, user_id, kind = value.split("-")
        request_id, user_id = int(request_id), int(user_id)
    except (signing.BadSignature, ValueError):
        return None
    if kind not in (Kind.CUSTOMER, Kind.STAFF_REPLY, Kind.STAFF_NOTE):
        return None
    return ReplyToken(request_id, user_id if kind != Kind.CUSTOMER else None, kind)


def new_message_id():
    """128 random bits: a Message-ID we sent is as hard to guess as a reply token."""
    _, domain = split(conf.mailbox())
    return f"<{secrets.token_hex(16)}@{domain}>"


def loop_id():
    """This installation's mark on its own mail, stable per secret key and revealing nothing."""
    return salted_hmac("nucleus.mail.loop", "installation").hexdigest()[:16]
