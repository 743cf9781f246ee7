"""Real-browser tests: Debian's chromium (never `playwright install`) against a live Daphne.

They run in their own pytest process (`make test` runs tests/e2e separately): Playwright's sync
API keeps an event loop in the test thread, which Django's async-safety check would refuse.
"""

import os

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium():
    """Skip without chromium, unless REQUIRE_SERVICES=1: then its absence is a failure."""
    if os.access(CHROMIUM, os.X_OK):
        return
    reason = f"{CHROMIUM} is missing (make browser installs it)"
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)
