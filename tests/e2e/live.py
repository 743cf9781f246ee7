"""The base of every browser test: a live Daphne serving the real ASGI application, and one
headless chromium for the class (channels.testing.ChannelsLiveServerTestCase underneath)."""

import multiprocessing
import os
from functools import partial

from channels.testing import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium


class BrowserTestCase(ChannelsLiveServerTestCase):
    # NUCLEUS_E2E_PORT pins the server's port where only some ports may be used; 0 is any free one.
    ProtocolServerProcess = partial(DaphneProcess, port=int(os.environ.get("NUCLEUS_E2E_PORT", 0)))

    @classmethod
    def setUpClass(cls):
        require_chromium()
        # A forked server inherits this process's state (event loops, connections); a fresh
        # interpreter does not. Restored afterwards for whatever runs next.
        cls.start_method = multiprocessing.get_start_method(allow_none=True)
        multiprocessing.set_start_method("spawn", force=True)
        super().setUpClass()
        try:
            # Playwright's sync API runs an event loop in this thread; the ORM calls of the
            # test itself are still plain synchronous calls.
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "playwright", None):
            cls.browser.close()
            cls.playwright.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        super().tearDownClass()
        multiprocessing.set_start_method(cls.start_method, force=True)


def wait_until_live(page):
    """Until the page's websocket (htmx's ws extension) is open."""
    page.wait_for_function("() => document.querySelector('[ws-connect]')")
    page.wait_for_function(
        "() => { const el = document.querySelector('[ws-connect]');"
        " const socket = el['htmx-internal-data'].webSocket;"
        " return socket && socket.socket && socket.socket.readyState === 1; }"
    )
