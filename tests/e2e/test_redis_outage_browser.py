"""Redis killed under open pages, in a real browser: the console request page and the
customer's status page say they are reconnecting, the agent's reply still goes through, and
once Redis is back both pages drop the banner and show it, without a reload. The server and
the private Redis are those of tests/test_fault_redis_killed.py, which checks the same at the
protocol level."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.e2e.live import wait_until_live

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000  # a ceiling for things that should happen, never a measure of speed


@pytest.fixture
def opened(request_in):
    """The request (its agent logs in as "agent"), set up before the browser starts: the ORM
    refuses to run while Playwright's sync API keeps an event loop in the thread."""
    return request_in("open")


@pytest.fixture
def browser():
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def open_page(browser, url):
    page = browser.new_context().new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    return page


def test_pages_show_reconnecting_while_redis_is_down_and_catch_up_after(
    asgi_on_private_redis, private_redis, opened, browser
):
    server, req = asgi_on_private_redis, opened
    staff = open_page(browser, f"{server.origin}/accounts/login/?next=/console/r/{req.pk}/")
    staff.get_by_label("Username").fill("agent")
    staff.get_by_label("Password").fill("pw")
    staff.get_by_role("button", name="Log in").click()
    staff.wait_for_url(f"**/console/r/{req.pk}/")
    customer = open_page(browser, f"{server.origin}/status/{req.public_token}/")
    pages = (staff, customer)
    for page in pages:
        wait_until_live(page)
        page.evaluate("() => { window.nucleusNotReloaded = true; }")

    private_redis.kill()
    for page in pages:
        expect(page.locator("#live-banner")).to_be_visible()
        expect(page.locator("#live-banner")).to_contain_text("Reconnecting")
    staff.locator("#reply-body").fill("Written while Redis was down.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.locator("#reply-body")).to_have_value("")  # answered: a fresh, empty form
    private_redis.start()

    for page in pages:
        expect(page.locator("#live-banner")).to_be_hidden()
        expect(page.locator("#timeline")).to_contain_text("Written while Redis was down.")
        assert page.evaluate("() => window.nucleusNotReloaded === true")
