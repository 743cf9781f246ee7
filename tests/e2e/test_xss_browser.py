"""Stored XSS, tried in a real browser: payloads planted in every field people type, on every
page that shows them, and pushed live while the pages are open. No payload may ever run.

Three proofs on every page: no dialog ever opens and the window flag the payloads set stays
unset (nothing ran); no element a payload could create exists (nothing became markup, so the
Content-Security-Policy was not what saved us); and the browser reported no CSP violation.
"""

import pytest
from playwright.sync_api import expect

from helpdesk.models import Customer, Organisation
from tests.e2e.live import BrowserTestCase
from workflows import actions

WAIT_MS = 15_000  # a ceiling for things that should happen, never a measure of speed


def payloads(tag):
    """Each sets window.xssRan and opens a dialog if it ever runs; `tag` tells them apart."""
    run = f"window.xssRan='{tag}';alert('{tag}')"
    return [
        f"<script>{run}</script>",
        f'<img src=x onerror="{run}">',
        f'<svg onload="{run}"></svg>',
        f'"><script>{run}</script>',
        f"'><img src=x onerror={run}>",
        f'<a href="javascript:{run}">click {tag}</a>',
        f"[click {tag}](javascript:{run})",
        f'<iframe srcdoc="<script>parent.{run}</script>"></iframe>',
        f'<details open ontoggle="{run}">',
        f'{{{{constructor.constructor("{run}")()}}}} ${{{run}}} {{% debug %}} {{{{7*7}}}}',
        f"</textarea><script>{run}</script>",
        f'<div hx-get="/" hx-trigger="load" hx-on::load="{run}">',
    ]


def plant(tag, limit=None):
    """All the payloads, or as many as fit a field of `limit` characters."""
    planted = ""
    for payload in payloads(tag):
        candidate = f"{planted} {payload}".strip()
        if limit is not None and len(candidate) > limit:
            break
        planted = candidate
    return planted


# Elements and attributes that only a payload could have put on these pages.
PLANTED_MARKUP = (
    "() => Array.from(document.querySelectorAll("
    '\'script:not([src]):not([type="application/json"]), [onerror], [onload], [ontoggle],'
    ' iframe, a[href^="javascript:" i], [hx-on\\\\:\\\\:load], details[open][ontoggle]\''
    ")).map((el) => el.outerHTML)"
)
WATCH = (
    "window.cspViolations = [];"
    " document.addEventListener('securitypolicyviolation',"
    " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.mark.e2e
class XssInTheBrowserTest(BrowserTestCase):
    @pytest.fixture(autouse=True)
    def planted(self, make_staff, departments):
        """Payloads in every stored field: names, subject, body, replies, notes, instructions."""
        finance = departments["finance"]
        finance.name = f"Finance {plant('dept', 92)}"
        finance.save()
        self.agent = make_staff("agent", last_name=plant("staff", 150))
        self.clerk = make_staff("clerk", dept="finance", role="back_office")
        org = Organisation.objects.create(name=plant("org", 200), tier="premium")
        customer = Customer.objects.create(
            name=f"Ann {plant('customer', 196)}", email="ann@acme.example", organisation=org
        )
        self.request = actions.open_request(
            customer=customer,
            subject=f"Broken {plant('subject', 193)}",
            body=f"Arrived broken {plant('body')}",
            department=departments["support"],
        )
        rid = self.request.pk
        actions.assign(rid, self.agent, self.agent)
        actions.reply(rid, self.agent, f"Sorry {plant('reply')}")
        actions.add_internal_note(rid, self.agent, f"Note {plant('note')}")
        actions.customer_reply(rid, customer, f"Thanks {plant('customer-reply')}")
        self.task = actions.hand_off(
            rid, self.agent, department=finance, instructions=f"Refund {plant('instructions')}"
        )
        self.request.refresh_from_db()
        self.contexts, self.dialogs, self.page_errors = [], [], []
        yield
        for context in self.contexts:
            context.close()

    # -- pages --------------------------------------------------------------------------
    def new_page(self):
        context = self.browser.new_context()
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(WATCH)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self.on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def on_dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def logged_in(self, user):
        page = self.new_page()
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    def open(self, page, path):
        page.goto(f"{self.live_server_url}{path}")
        page.wait_for_load_state("load")
        return page

    def live(self, page):
        page.wait_for_function(
            "() => { const el = document.querySelector('[ws-connect]');"
            " const socket = el && el['htmx-internal-data'].webSocket;"
            " return socket && socket.socket && socket.socket.readyState === 1; }"
        )
        return page

    def assert_nothing_ran(self, page):
        where = page.url
        assert page.evaluate("() => window.xssRan === undefined"), (where, self.dialogs)
        assert page.evaluate(PLANTED_MARKUP) == [], where
        assert page.evaluate("() => window.cspViolations") == [], where
        assert self.dialogs == [], (where, self.dialogs)

    # -- the attack ---------------------------------------------------------------------
    def test_no_planted_payload_runs_on_any_page(self):
        rid, tid = self.request.pk, self.task.pk
        agent = self.logged_in(self.agent)
        clerk = self.logged_in(self.clerk)
        customer = self.new_page()
        stops = [
            (agent, "/console/", "Broken"),
            (clerk, "/inbox/", "Refund"),
            (clerk, f"/inbox/t/{tid}/", "Refund"),
            (customer, f"/status/{self.request.public_token}/", "Broken"),
            (agent, f"/console/r/{rid}/", "Note"),
        ]
        for page, path, visible in stops:
            self.open(page, path)
            expect(page.locator("body")).to_contain_text(visible)
            self.assert_nothing_ran(page)

        # Payloads pushed live into open pages: the agent's request page, the clerk's task
        # page and the customer's status page are all listening now.
        for page in (agent, clerk, customer):
            self.live(page)
        agent.locator("#reply-body").fill(f"LIVE-REPLY {plant('live-reply')}")
        agent.get_by_role("button", name="Send reply").click()
        # The composer is re-rendered after each send: wait for it before typing the next.
        expect(agent.locator("#timeline")).to_contain_text("LIVE-REPLY")
        agent.locator("#note-body").fill(f"LIVE-NOTE {plant('live-note')}")
        agent.get_by_role("button", name="Add note").click()
        for page in (agent, clerk, customer):
            expect(page.locator("#timeline")).to_contain_text("LIVE-REPLY")
        expect(clerk.locator("#timeline")).to_contain_text("LIVE-NOTE")

        clerk.locator("#ask-body").fill(f"LIVE-ASK {plant('live-ask')}")
        clerk.get_by_role("button", name="Ask", exact=True).click()
        expect(clerk.locator("#timeline")).to_contain_text("LIVE-ASK")
        customer.locator("#customer-reply").fill(f"LIVE-CUSTOMER {plant('live-customer')}")
        customer.get_by_role("button", name="Send", exact=True).click()
        for page in (agent, clerk):
            expect(page.locator("#timeline")).to_contain_text("LIVE-ASK")
            expect(page.locator("#timeline")).to_contain_text("LIVE-CUSTOMER")

        # The task's answer travels to the agent's page.
        clerk.locator("#task-answer").fill(f"LIVE-ANSWER {plant('live-answer')}")
        clerk.get_by_role("button", name="Complete task").click()
        expect(agent.locator("#timeline")).to_contain_text("LIVE-ANSWER")

        for page in (agent, clerk, customer):
            self.assert_nothing_ran(page)
        # The payloads arrived as text, exactly as typed.
        expect(customer.locator("#timeline")).to_contain_text(payloads("live-reply")[0])
        assert self.page_errors == []

    def test_the_checks_catch_a_payload_that_got_into_the_page(self):
        """Guards the proof itself: markup slipped into a page is seen, and so is the CSP block."""
        page = self.open(self.new_page(), f"/status/{self.request.public_token}/")
        page.evaluate(
            "() => document.body.insertAdjacentHTML('beforeend',"
            " '<img src=x onerror=\"window.xssRan=1\">')"
        )
        page.wait_for_function("() => window.cspViolations.length > 0")

        with pytest.raises(AssertionError):
            self.assert_nothing_ran(page)
        assert page.evaluate(PLANTED_MARKUP)
        assert page.evaluate("() => window.xssRan === undefined")  # CSP: the second wall
