"""The email channel's settings, each overridable in Django settings or the environment.

Defaults live here rather than in helpdesk/settings.py so the channel stays one app.
"""

import os
from email.utils import parseaddr

from django.conf import settings


def _env_int(name, default):
    return int(os.environ.get(name, default))


def base_url():
    """Where customers reach the site: links in emails must be absolute."""
    return getattr(
        settings, "NUCLEUS_BASE_URL", os.environ.get("NUCLEUS_BASE_URL", "http://127.0.0.1:8000")
    ).rstrip("/")


def mailbox():
    """The support address (bare, without a display name); reply addresses are its
    plus-addressed variants."""
    value = getattr(
        settings,
        "NUCLEUS_MAIL_ADDRESS",
        os.environ.get("NUCLEUS_MAIL_ADDRESS", settings.DEFAULT_FROM_EMAIL),
    )
    return parseaddr(value)[1]


def max_bytes():
    """Larger mail is kept aside whole instead of imported."""
    return getattr(
        settings, "NUCLEUS_MAIL_MAX_BYTES", _env_int("NUCLEUS_MAIL_MAX_BYTES", 10 * 1024 * 1024)
    )


def token_max_age_days():
    return getattr(settings, "NUCLEUS_MAIL_TOKEN_DAYS", _env_int("NUCLEUS_MAIL_TOKEN_DAYS", 90))


def webhook_secret():
    """Empty: the inbound webhook is switched off (404)."""
    return getattr(
        settings,
        "NUCLEUS_MAIL_WEBHOOK_SECRET",
        os.environ.get("NUCLEUS_MAIL_WEBHOOK_SECRET", ""),
    )


def department_slug():
    """The department new email requests land in; empty: open_request's default."""
    return getattr(
        settings, "NUCLEUS_MAIL_DEPARTMENT", os.environ.get("NUCLEUS_MAIL_DEPARTMENT", "")
    )
