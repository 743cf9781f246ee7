"""Three people, three browsers, one request: the agent hands it to finance, a finance clerk
answers from the task inbox, the customer watches the status page. Nobody reloads.

A live Daphne serves the real ASGI application (channels.testing.ChannelsLiveServerTestCase)
on whatever the environment configures: the embedded default, or PostgreSQL + Redis.
"""

import time
from functools import partial
from pathlib import Path

import pytest
from channels.testing.live import make_application, set_database_connection
from django.conf import settings
from playwright.sync_api import expect

from helpdesk.models import ContextFact, Goal, Priority
from helpdesk.selectors import PAGE_ENTRIES
from tests.e2e.live import BrowserTestCase, wait_until_live
from workflows import actions

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
MODE = "postgres-redis" if settings.REDIS_URL else "embedded"
WAIT_MS = 15_000  # a ceiling for things that should happen, never a measure of speed

NOTE = "NOTE-MARKER-e2e-41"
INSTRUCTIONS = "INSTRUCTIONS-MARKER-e2e-77"
SECRETS = (NOTE, INSTRUCTIONS)


@pytest.mark.e2e
class ThreeFacesTest(BrowserTestCase):
    @pytest.fixture(autouse=True)
    def cast(self, make_staff, customer, departments):
        self.agent = make_staff("agent", last_name="Agentson")
        self.clerk = make_staff("clerk", dept="finance", role="back_office", last_name="Counter")
        self.customer = customer
        Goal.objects.create(customer=customer, text="Open the new shop before the trade fair")
        ContextFact.objects.create(
            customer=customer,
            source="erp",
            external_id="order-42",
            kind="order",
            label="Order 42",
            value="2 x display cabinet, delivered broken",
            observed_at="2026-11-20T10:00:00Z",
        )
        self.departments = departments
        self.request = actions.open_request(
            customer=customer,
            subject="Order 42 arrived broken",
            body="Both display cabinets have cracked glass. We open on Friday.",
            department=departments["support"],
        )
        actions.assign(self.request.pk, self.agent, self.agent)
        self.contexts = []
        yield
        for context in self.contexts:
            context.close()

    # -- people and pages ---------------------------------------------------------------
    def browser_page(self):
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def staff_page(self, user, path):
        page = self.browser_page()
        page.goto(f"{self.live_server_url}/accounts/login/?next={path}")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**{path}")
        return self.live(page)

    def customer_page(self):
        page = self.browser_page()
        self.customer_frames = []
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: self.customer_frames.append(payload)),
        )
        page.goto(f"{self.live_server_url}/status/{self.request.public_token}/")
        return self.live(page)

    @staticmethod
    def live(page):
        """Wait for the socket, and mark the document: a reload would lose the mark."""
        wait_until_live(page)
        page.evaluate("() => { window.nucleusNotReloaded = true; }")
        return page

    @staticmethod
    def assert_not_reloaded(*pages):
        for page in pages:
            assert page.evaluate("() => window.nucleusNotReloaded === true"), page.url

    def shoot(self, page, name):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}-{MODE}.png", full_page=True)

    def setUp(self):
        self.page_errors = []

    # -- the scenario -------------------------------------------------------------------
    def test_hand_off_to_finance_and_back_without_a_reload(self):
        rid = self.request.pk
        agent = self.staff_page(self.agent, f"/console/r/{rid}/")
        clerk = self.staff_page(self.clerk, "/inbox/")
        customer = self.customer_page()
        expect(customer.locator("#status-summary")).to_contain_text("being worked on")
        expect(clerk.locator("#inbox-badge")).to_have_text("0")

        # The agent writes an internal note, then asks finance.
        agent.locator("#note-body").fill(f"Customer sounds worried. {NOTE}")
        agent.get_by_role("button", name="Add note").click()
        expect(agent.locator("#timeline")).to_contain_text(NOTE)
        agent.locator("#handoff-dept").select_option(label="Finance")
        agent.locator("#handoff-instructions").fill(f"Refund both cabinets. {INSTRUCTIONS}")
        handed_over = time.monotonic()
        agent.locator("#handoff-form").get_by_role("button", name="Hand off").click()

        # The clerk's inbox shows it at once, the customer's status words change.
        row = clerk.locator("#task-list tbody tr", has_text=INSTRUCTIONS)
        expect(row).to_be_visible()
        self.record_latency("hand-off to inbox row", time.monotonic() - handed_over)
        expect(clerk.locator("#inbox-badge")).to_have_text("1")
        expect(customer.locator("#status-summary")).to_contain_text(
            "Your request is with our finance team"
        )
        expect(agent.locator("#request-tasks")).to_contain_text("Finance")
        self.shoot(clerk, "e2e-clerk-inbox")

        # The clerk opens the task: instructions, who the customer is and what they want.
        row.get_by_role("link").click()
        clerk.wait_for_url("**/inbox/t/*/")
        self.live(clerk)
        expect(clerk.locator(".instructions")).to_contain_text(INSTRUCTIONS)
        panel = clerk.locator("#customer-panel")
        expect(panel).to_contain_text("Ann Customer")
        expect(panel).to_contain_text("Open the new shop before the trade fair")
        expect(panel).to_contain_text("2 x display cabinet, delivered broken")
        expect(clerk.locator("#timeline")).to_contain_text(NOTE)
        clerk.locator("#task-answer").fill("Refunded 2 x 480 EUR to the card used for order 42.")
        clerk.get_by_role("button", name="Complete task").click()
        expect(clerk.locator("#task-panel")).to_contain_text("Answered")
        self.shoot(clerk, "e2e-clerk-task")

        # The agent's page and the customer's page follow without a reload.
        expect(agent.locator("#timeline")).to_contain_text("Refunded 2 x 480 EUR")
        expect(agent.locator("#request-header [data-status]")).to_have_attribute(
            "data-status", "open"
        )
        expect(agent.locator("#request-tasks")).to_contain_text("Done")
        expect(customer.locator("#status-summary")).to_contain_text(
            "Your request is being worked on"
        )
        self.assert_not_reloaded(agent, clerk, customer)
        self.shoot(agent, "e2e-agent-request")
        self.shoot(customer, "e2e-customer-status")

        # The customer never saw the note or the instructions, on the page or on the wire.
        seen = customer.content() + "".join(str(frame) for frame in self.customer_frames)
        assert "with our finance team" in seen
        for secret in SECRETS:
            assert secret not in seen, secret
        assert "Agentson" not in seen  # staff appear by first name only
        assert self.page_errors == []

    def test_after_a_server_crash_pages_reconnect_and_catch_up(self):
        rid = self.request.pk
        agent = self.staff_page(self.agent, f"/console/r/{rid}/")
        customer = self.customer_page()
        agent.locator("#reply-body").fill("We are on it.")
        agent.get_by_role("button", name="Send reply").click()
        expect(customer.locator("#timeline")).to_contain_text("We are on it.")

        def while_down():
            for page in (agent, customer):
                expect(page.locator("#live-banner")).to_be_visible()
            self.shoot(customer, "e2e-customer-reconnecting")
            # Work goes on elsewhere (another server, a worker) while these pages are cut off.
            actions.reply(rid, self.agent, "Written while your page was cut off.")
            actions.add_internal_note(rid, self.agent, f"Also while cut off. {NOTE}")

        self.restart_server(while_down)

        for page in (agent, customer):
            expect(page.locator("#live-banner")).to_be_hidden(timeout=60_000)
            expect(page.locator("#timeline")).to_contain_text("while your page was cut off")
        expect(agent.locator("#timeline")).to_contain_text(NOTE)
        # Live again: the next reply arrives as usual, and nothing arrived twice.
        agent.locator("#reply-body").fill("And now we are back.")
        agent.get_by_role("button", name="Send reply").click()
        for page in (agent, customer):
            expect(page.locator("#timeline")).to_contain_text("And now we are back.")
            ids = page.locator("#timeline [id^=event-]").evaluate_all(
                "(entries) => entries.map((entry) => entry.id)"
            )
            assert len(ids) == len(set(ids)), ids
            assert ids == sorted(ids, key=lambda i: int(i.split("-")[1])), ids
        assert NOTE not in customer.content()
        self.assert_not_reloaded(agent, customer)

    def test_the_composer_follows_the_state_live_and_keeps_what_is_typed(self):
        rid = self.request.pk
        agent = self.staff_page(self.agent, f"/console/r/{rid}/")
        customer = self.customer_page()
        agent.locator("#reply-body").fill("Half-written reply")
        agent.locator("#handoff-instructions").fill("Half-written instructions")
        # Another change reloads this user's controls; what they offer did not change.
        actions.change_priority(rid, self.agent, Priority.HIGH)
        expect(agent.locator("#request-header")).to_contain_text("High priority")
        expect(agent.locator("#request-actions [data-action=resolve]")).to_be_visible()
        expect(agent.locator("#reply-body")).to_have_value("Half-written reply")
        expect(agent.locator("#handoff-instructions")).to_have_value("Half-written instructions")

        # Resolved: no reply composer, no hand-off; closed: the customer's form goes too.
        actions.resolve(rid, self.agent)
        expect(agent.locator("#reply-body")).to_have_count(0)
        expect(agent.locator("#handoff-form")).to_have_count(0)
        expect(agent.locator("#note-body")).to_be_visible()
        actions.reopen(rid, self.agent, reason="Still broken.")
        expect(agent.locator("#reply-body")).to_be_visible()
        expect(agent.locator("#handoff-form")).to_be_visible()
        customer.locator("#customer-reply").fill("Typed by the customer")
        actions.resolve(rid, self.agent)
        expect(customer.locator("#status-summary")).to_contain_text("resolved")
        expect(customer.locator("#customer-reply")).to_have_value("Typed by the customer")
        actions.close(rid, self.agent)
        expect(customer.locator("#reply-form")).to_contain_text("This request is closed")
        expect(customer.locator("#customer-reply")).to_have_count(0)
        self.assert_not_reloaded(agent, customer)
        assert self.page_errors == []

    def test_a_socket_closed_for_good_says_so_instead_of_promising_a_reconnect(self):
        customer = self.customer_page()
        banner = customer.locator("#live-banner")
        expect(banner).to_be_hidden()
        # An oversized frame makes the server close the socket for good (4009): htmx won't retry.
        customer.evaluate(
            "() => document.querySelector('[ws-connect]')['htmx-internal-data']"
            ".webSocket.send('x'.repeat(10000))"
        )
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Live updates stopped")
        expect(banner).not_to_contain_text("Reconnecting")
        self.shoot(customer, "e2e-customer-stopped")
        assert self.page_errors == []

    def test_a_long_history_shows_the_newest_and_earlier_entries_on_demand(self):
        for n in range(PAGE_ENTRIES + 5):
            actions.add_internal_note(self.request.pk, self.agent, f"Checked shelf {n}")
        agent = self.staff_page(self.agent, f"/console/r/{self.request.pk}/")
        entries = agent.locator("#timeline .entry")
        expect(entries).to_have_count(PAGE_ENTRIES)
        expect(agent.locator("#timeline")).not_to_contain_text("cracked glass")

        agent.get_by_role("button", name="Show earlier entries").click()
        # The opening and the assignment, in order above the rest; the button is gone.
        expect(entries.first).to_contain_text("cracked glass")
        self.request.refresh_from_db()
        expect(entries).to_have_count(self.request.last_event_seq)
        expect(agent.get_by_role("button", name="Show earlier entries")).to_have_count(0)
        self.assert_not_reloaded(agent)
        assert self.page_errors == []

    # -- helpers ------------------------------------------------------------------------
    @classmethod
    def restart_server(cls, while_down):
        """Kill the server like a crash (no close frames), then start a new one on its port."""
        cls._server_process.kill()
        cls._server_process.join()
        while_down()
        cls._server_process = cls.ProtocolServerProcess(
            cls.host,
            partial(make_application, static_wrapper=cls.static_wrapper),
            setup=set_database_connection,
            port=cls._port,
        )
        cls._server_process.start()
        if not cls._server_process.ready.wait(timeout=60):
            raise RuntimeError("the restarted server did not come up")

    def record_latency(self, what, seconds):
        """Reported, not asserted: timing belongs to the benchmarks, not to pass/fail."""
        ARTIFACTS.mkdir(exist_ok=True)
        with open(ARTIFACTS / f"e2e-latency-{MODE}.txt", "a") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {what}: {seconds * 1000:.0f} ms\n")
        print(f"{what}: {seconds * 1000:.0f} ms")
