"""What the demo data says: accounts, people, departments and the stories of ~50 requests.

Kept apart from the loader so the words can change without touching how they are played
through the workflows actions. `{order}`, `{invoice}` and `{ref}` are filled per request.
"""

from dataclasses import dataclass

PASSWORD = "demo"

ORGANISATIONS = [
    {
        "name": "Northwind Bakeries",
        "tier": "premium",
        "notes": "Twelve bakery shops across the north; buys deck ovens, mixers and spares.",
        "goals": [
            ("Open three new shops before the spring season", "active"),
            ("Keep oven downtime below 2% a month", "active"),
            ("Move to one consolidated monthly invoice", "achieved"),
        ],
    },
    {
        "name": "Brightline Dental Group",
        "tier": "enterprise",
        "notes": "Eighteen clinics; custom steriliser trays are built to their spec.",
        "goals": [
            ("Equip the new Leeds clinic by 1 March", "active"),
            ("Standardise every clinic on one steriliser model", "achieved"),
        ],
    },
    {
        "name": "Harbour & Finch Architects",
        "tier": "standard",
        "notes": "Small studio; orders bespoke furniture for client projects.",
        "goals": [("Furnish the studio extension within the agreed budget", "active")],
    },
    {
        "name": "Castellan Hotels",
        "tier": "enterprise",
        "notes": "Five hotels; refurbishes rooms in batches, pays on 60-day terms.",
        "goals": [
            ("Refurbish 40 rooms at the Bath hotel before summer", "active"),
            ("One point of contact for every order", "achieved"),
        ],
    },
]

CUSTOMERS = [
    ("Priya Raman", "priya.raman@northwind.example", "Northwind Bakeries"),
    ("Tom Ellery", "tom.ellery@northwind.example", "Northwind Bakeries"),
    ("Sofia Marquez", "sofia.marquez@brightline.example", "Brightline Dental Group"),
    ("Kwame Mensah", "kwame.mensah@brightline.example", "Brightline Dental Group"),
    ("Hannah Finch", "hannah@harbourfinch.example", "Harbour & Finch Architects"),
    ("Lucas Berg", "lucas.berg@castellan.example", "Castellan Hotels"),
    ("Amélie Durand", "amelie.durand@castellan.example", "Castellan Hotels"),
    ("Oliver Grant", "oliver.grant@mail.example", None),
    ("Mei Chen", "mei.chen@mail.example", None),
    ("Jonas Weber", "jonas.weber@mail.example", None),
]

CUSTOMER_GOALS = {
    "priya.raman@northwind.example": [("Ovens installed before the Leeds shop opens", "active")],
    "oliver.grant@mail.example": [("Replace a faulty espresso machine under warranty", "active")],
    "mei.chen@mail.example": [("A custom-size walnut table for her café", "active")],
    "jonas.weber@mail.example": [("Get a duplicate card payment refunded", "achieved")],
}

ERP = "https://erp.example.com"
BILLING = "https://billing.example.com"

# (source, external id, kind, label, value, link, days ago, organisation name or customer email)
FACTS = [
    ("billing", "INV-2026-0412", "invoice_overdue", "Invoice INV-2026-0412 overdue",
     "£4,860.00, 12 days past due", f"{BILLING}/invoices/INV-2026-0412", 1,
     "Northwind Bakeries"),
    ("erp", "SO-88123", "order_shipped", "Order SO-88123 shipped",
     "2 x deck oven, DPD 15501234", f"{ERP}/orders/SO-88123", 3, "Northwind Bakeries"),
    ("billing", "CON-NW-2024", "contract_renewal", "Service contract renews 1 Feb 2027",
     "Premium support, £9,600 a year", f"{BILLING}/contracts/CON-NW-2024", 20,
     "Northwind Bakeries"),
    ("erp", "SO-88410", "order_in_production", "Order SO-88410 in production",
     "4 x steriliser with custom trays, ETA week 51", f"{ERP}/orders/SO-88410", 2,
     "Brightline Dental Group"),
    ("billing", "CON-BL-2023", "contract_renewal", "Enterprise contract up for renewal",
     "Renews 31 Dec 2026; 18 sites", f"{BILLING}/contracts/CON-BL-2023", 9,
     "Brightline Dental Group"),
    ("erp", "SO-88611", "order_backordered", "Order SO-88611 backordered",
     "Oak desks: supplier delay, new ETA 14 Dec", f"{ERP}/orders/SO-88611", 4,
     "Harbour & Finch Architects"),
    ("billing", "CRD-1102", "credit_limit", "Credit limit", "£50,000 (£41,200 used)",
     f"{BILLING}/accounts/CRD-1102", 6, "Castellan Hotels"),
    ("erp", "SO-88502", "order_shipped", "Order SO-88502 shipped",
     "40 x headboard, pallet delivery booked", f"{ERP}/orders/SO-88502", 5,
     "Castellan Hotels"),
    ("erp", "RMA-2291", "return_authorised", "Return RMA-2291 authorised",
     "Espresso machine, collection pending", f"{ERP}/returns/RMA-2291", 2,
     "oliver.grant@mail.example"),
    ("billing", "PAY-77120", "duplicate_payment", "Duplicate card payment",
     "£129.00 charged twice on 3 Nov", f"{BILLING}/payments/PAY-77120", 15,
     "jonas.weber@mail.example"),
    ("erp", "QUO-5510", "quote_sent", "Quote QUO-5510 sent",
     "Walnut table 210 x 90 cm, £2,340", f"{ERP}/quotes/QUO-5510", 7,
     "mei.chen@mail.example"),
]  # fmt: skip

DEPARTMENTS = [
    ("support", "Support",
     "First line for every customer request: questions, complaints, and routing to the teams "
     "below. Owns the conversation with the customer."),
    ("finance", "Finance",
     "Invoices, refunds, credit notes, payment plans, duplicate charges and credit limits."),
    ("manufacturing", "Manufacturing",
     "Custom builds and modifications: feasibility, specifications, lead times, production "
     "status and engineering faults."),
    ("fulfilment", "Fulfilment",
     "Warehouse and delivery: dispatch dates, tracking, delivery slots, damaged or missing "
     "parcels and return collections."),
    ("accounts", "Accounts",
     "Customer account administration: contracts and renewals, tiers, contacts, credit checks "
     "and portal access."),
]  # fmt: skip


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    department: str
    role: str
    face: str
    sees: str
    superuser: bool = False


USERS = [
    DemoUser("agent", "Sam", "Patel", "support", "agent", "/console/",
             "support agent: request queues, replies, hand-offs"),
    DemoUser("lead", "Jordan", "Reyes", "support", "lead", "/console/",
             "support lead: the queues, plus de-escalation"),
    DemoUser("finance", "Fiona", "Clarke", "finance", "back_office", "/inbox/",
             "finance back office: the finance task inbox"),
    DemoUser("manufacturing", "Marek", "Novak", "manufacturing", "back_office", "/inbox/",
             "manufacturing back office: its task inbox"),
    DemoUser("admin", "Ada", "Morgan", "support", "admin", "/console/",
             "administrator: every request, plus /admin/", superuser=True),
]  # fmt: skip


@dataclass(frozen=True)
class Topic:
    """One kind of customer question, with every line its story may need."""

    subject: str
    body: str
    ask: str  # the agent's clarifying question to the customer
    clarify: str  # the customer's answer to it
    solution: str  # the agent's public answer once it is sorted
    thanks: str  # the customer's last word
    department: str | None = None  # who the agent hands it to
    instructions: str = ""
    answer: str = ""  # the department's answer
    also: tuple[str, str] | None = None  # a second department working in parallel


TOPICS = [
    Topic(
        subject="Refund for the damaged mixer on order {order}",
        body="Our spiral mixer arrived with a cracked bowl; the driver took photos. We had to buy "
        "one locally to keep baking, so we'd like a refund rather than a replacement.",
        ask="Sorry about the cracked bowl. Would you like us to collect the damaged mixer, or "
        "will you dispose of it yourselves?",
        clarify="Please collect it. It's boxed up at the back door of the Leeds shop.",
        solution="Finance has refunded £1,240.00 to your card; it usually shows within 3 to 5 "
        "working days. Does that settle it for you?",
        thanks="Yes, thank you, that's all we needed.",
        department="finance",
        instructions="Customer wants a refund, not a replacement, for the mixer on {order} "
        "(cracked bowl, driver photos on file). Please confirm the amount and issue it.",
        answer="Refund of £1,240.00 issued to the original card; credit note CN-{ref} raised.",
        also=("fulfilment", "Collect the damaged mixer from the Leeds shop's back door."),
    ),
    Topic(
        subject="Invoice {invoice} charged twice",
        body="Our card statement shows two payments of £129.00 for invoice {invoice} on the same "
        "day. Please refund one of them.",
        ask="Could you send us the last four digits of the card and the dates of both payments?",
        clarify="Card ending 4417, both on the 3rd, about ten minutes apart.",
        solution="Finance confirmed the duplicate and refunded £129.00; you'll see it in 3 to 5 "
        "working days. Anything else we can help with?",
        thanks="Great, thanks for sorting it so quickly.",
        department="finance",
        instructions="Customer reports a double card payment of £129.00 on {invoice}. Please "
        "check the payment provider and refund the duplicate.",
        answer="Confirmed duplicate (PAY-{ref}); refunded £129.00 today.",
    ),
    Topic(
        subject="Can we pay invoice {invoice} in instalments?",
        body="Invoice {invoice} is larger than we planned for this quarter. Could we spread it "
        "over three months?",
        ask="Of course we'll look into it. Which dates would suit you for the three payments?",
        clarify="The 1st of each month would be ideal, starting next month.",
        solution="Finance has set up three monthly payments on the 1st, starting next month. "
        "You'll get a schedule by email. Does that work for you?",
        thanks="That works perfectly, thank you.",
        department="finance",
        instructions="Customer asks for a 3-month payment plan on {invoice}, payments on the "
        "1st. Please approve or propose terms.",
        answer="Approved: 3 equal instalments on the 1st; schedule emailed from billing.",
    ),
    Topic(
        subject="VAT number missing on invoice {invoice}",
        body="Our accountant can't reclaim VAT because our VAT number isn't on invoice {invoice}. "
        "Can you reissue it?",
        ask="Could you confirm the VAT number you'd like on the invoice?",
        clarify="It's GB 123 4567 89.",
        solution="Here you are: finance has reissued the invoice with your VAT number; the new "
        "copy is in your portal. Is that everything?",
        thanks="Yes, our accountant is happy now. Thanks!",
        department="finance",
        instructions="Reissue {invoice} with the customer's VAT number (GB 123 4567 89).",
        answer="Reissued as {invoice}-R1 with the VAT number; uploaded to the portal.",
    ),
    Topic(
        subject="Credit note for returned ovens not received",
        body="We returned two deck ovens three weeks ago under order {order} but we still have "
        "no credit note.",
        ask="Do you have the collection reference from the driver, so we can trace the return?",
        clarify="Yes, the reference on the collection note is RMA-{ref}.",
        solution="Finance has raised the credit note for the two ovens and applied it to your "
        "account. Shall we offset it against your next invoice?",
        thanks="Offsetting it is fine. Thank you.",
        department="finance",
        instructions="Two deck ovens from {order} were returned about three weeks ago; the "
        "customer has no credit note yet. Please check and raise it.",
        answer="Credit note CN-{ref} raised for £7,980.00 and applied to the account.",
        also=("fulfilment", "Confirm the warehouse received both ovens from {order} undamaged."),
    ),
    Topic(
        subject="Why has our monthly statement gone up?",
        body="This month's statement is almost £600 higher than usual and we haven't ordered "
        "anything new. What changed?",
        ask="Could you tell us which statement month you are comparing against?",
        clarify="Last month's, the one dated the 1st.",
        solution="The difference is the annual service contract instalment that falls due this "
        "month; nothing else changed. Does that explain it?",
        thanks="Ah, of course. Thanks for explaining.",
        department="finance",
        instructions="Customer's monthly statement is up ~£600 with no new orders. Please "
        "explain the difference line by line.",
        answer="The annual service contract instalment (£596.00) was billed this month.",
    ),
    Topic(
        subject="Refund for cancelled order {order}",
        body="We cancelled order {order} before it shipped, but the card was still charged.",
        ask="Sorry for the trouble. Did you receive a cancellation confirmation email?",
        clarify="Yes, we did, on the same day we ordered.",
        solution="The order was cancelled in time and finance has refunded the full amount. "
        "You should see it within 5 working days. Anything else?",
        thanks="No, that's it. Thank you.",
        department="finance",
        instructions="{order} was cancelled before dispatch but the card was charged. Please "
        "refund in full.",
        answer="Full refund issued (REF-{ref}).",
    ),
    Topic(
        subject="Proforma invoice needed for order {order}",
        body="Our purchasing team can only release the budget against a proforma invoice. Could "
        "you send one for order {order}?",
        ask="Which legal entity and address should the proforma be made out to?",
        clarify="Head office, please: the registered address on our account.",
        solution="The proforma invoice for {order} is attached in your portal. Let us know if "
        "purchasing needs anything else.",
        thanks="Received, thank you.",
        department="finance",
        instructions="Customer needs a proforma invoice for {order}, made out to head office.",
        answer="Proforma PF-{ref} issued and uploaded to the portal.",
    ),
    Topic(
        subject="Custom tray sizes for steriliser order {order}",
        body="Our new clinic uses deeper instrument cassettes. Can the trays for order {order} "
        "be made 40 mm deeper?",
        ask="Could you send us the outer dimensions of the cassettes you use?",
        clarify="They are 285 x 180 x 65 mm.",
        solution="Manufacturing can build the trays 40 mm deeper at no extra cost; it adds about "
        "a week to the lead time. Shall we go ahead?",
        thanks="Yes please, go ahead.",
        department="manufacturing",
        instructions="Customer asks for steriliser trays 40 mm deeper on {order} (cassettes "
        "285 x 180 x 65 mm). Feasible? Impact on lead time?",
        answer="Feasible with the deep-tray die; +1 week lead time, no price change.",
        also=("accounts", "Check the customer's framework contract allows a spec change."),
    ),
    Topic(
        subject="Can the walnut table be 10 cm narrower?",
        body="We love the walnut table in quote QUO-5510, but our café needs it 80 cm wide rather "
        "than 90. Is that possible?",
        ask="Would you like the same leg position, or should the legs move in with the top?",
        clarify="Move the legs in, please; we need chairs at the ends.",
        solution="Manufacturing can build it at 80 cm with the legs moved in, for the same "
        "price. Would you like a revised quote?",
        thanks="Yes please, send the revised quote.",
        department="manufacturing",
        instructions="Walnut table from QUO-5510 at 80 cm wide instead of 90, legs moved in. "
        "Feasible? Price change?",
        answer="Feasible; same price. Revised drawing D-{ref} attached to the quote.",
    ),
    Topic(
        subject="Lead time for 40 bespoke headboards",
        body="We are refurbishing 40 rooms at our Bath hotel. How soon could you make 40 "
        "upholstered headboards in our own fabric?",
        ask="When could you deliver the fabric to our workshop, and how many metres do you have?",
        clarify="We have 160 metres and could deliver it next Tuesday.",
        solution="Manufacturing can make all 40 within five weeks of receiving the fabric. Shall "
        "we book production?",
        thanks="Please book it in. Thank you.",
        department="manufacturing",
        instructions="40 upholstered headboards in customer-supplied fabric (160 m, arriving "
        "Tuesday). What lead time can we promise?",
        answer="Five weeks from fabric arrival; slot reserved in the upholstery line.",
        also=("accounts", "Check Castellan's credit limit covers the headboard order."),
    ),
    Topic(
        subject="Oven door hinge keeps failing",
        body="The door hinge on our deck oven (order {order}) has broken for the second time in "
        "three months.",
        ask="Could you send a photo of the broken hinge and the oven's serial number?",
        clarify="Photo attached; the serial number is DO-4-{ref}.",
        solution="Manufacturing found a faulty hinge batch; a reinforced hinge is on its way and "
        "an engineer will fit it. Does Thursday morning suit you?",
        thanks="Thursday morning is fine, thanks.",
        department="manufacturing",
        instructions="Deck oven from {order}: door hinge failed twice in three months. Known "
        "issue? Can we send a reinforced part?",
        answer="Faulty batch H-22; reinforced hinge kit dispatched, engineer booked.",
    ),
    Topic(
        subject="Stainless worktops with a 90° upstand?",
        body="For a client's kitchen we need stainless worktops with a 90° upstand at the back. "
        "Is that something you can fabricate?",
        ask="What lengths and upstand height do you need?",
        clarify="Two runs, 2.4 m and 1.8 m, with a 100 mm upstand.",
        solution="Manufacturing can fabricate both runs with a 100 mm upstand; the quote is in "
        "your portal. Would you like to go ahead?",
        thanks="Looks good, we'll confirm by Friday.",
        department="manufacturing",
        instructions="Stainless worktops, runs of 2.4 m and 1.8 m, 100 mm upstand at 90°. "
        "Feasible? Price and lead time?",
        answer="Feasible on the new press brake; quote Q-{ref}, 3 weeks.",
    ),
    Topic(
        subject="Production status of order {order}",
        body="Could you tell us where order {order} is in production? Our clinic opening date "
        "depends on it.",
        ask="Which date do you need it installed by?",
        clarify="We open on the 1st of next month, so a week before that at the latest.",
        solution="Manufacturing says {order} leaves the line next Wednesday, well ahead of your "
        "opening. Shall we book the delivery slot?",
        thanks="Yes please, book it.",
        department="manufacturing",
        instructions="Customer needs {order} installed a week before their opening on the 1st. "
        "Where is it in production?",
        answer="In final assembly; leaves the line next Wednesday.",
        also=("fulfilment", "Book a delivery slot for {order} once it leaves the line."),
    ),
    Topic(
        subject="Matching finish for an extra reception desk",
        body="We'd like one more reception desk matching the two we bought last year (order "
        "{order}). Is the same oak finish still available?",
        ask="Do you have a photo of the existing desks, so we can match the finish exactly?",
        clarify="Photos attached, taken in daylight.",
        solution="Manufacturing still has the same oak finish and can match it. The quote is in "
        "your portal. Shall we go ahead?",
        thanks="Great, we'll go ahead.",
        department="manufacturing",
        instructions="Another reception desk matching {order} (oak finish). Still available?",
        answer="Same finish batch in stock; quote Q-{ref} raised.",
    ),
    Topic(
        subject="Where is my order {order}?",
        body="Order {order} was due yesterday and hasn't arrived. Is there a tracking number?",
        ask="Could you confirm the delivery postcode, so we can check with the courier?",
        clarify="It's LS1 4AP.",
        solution="Your order is with DPD (tracking 1550{ref}) and is out for delivery today. Is "
        "there anything else?",
        thanks="It just arrived. Thanks!",
    ),
    Topic(
        subject="Add a colleague to the customer portal",
        body="Our new office manager needs access to the portal to download invoices. How do we "
        "add her?",
        ask="What is her name and work email address?",
        clarify="Rachel Moss; her address is on the same domain as mine.",
        solution="Rachel has an invitation in her inbox; she can download invoices once she sets "
        "her password. Anything else?",
        thanks="She's in. Thank you.",
    ),
    Topic(
        subject="Change of delivery address for order {order}",
        body="Please deliver order {order} to our new site instead of head office.",
        ask="Could you send the full address and a contact on site?",
        clarify="Unit 4, Canal Wharf, Leeds LS11 5PS; ask for Dan.",
        solution="Done: {order} will go to Canal Wharf, and the driver will ask for Dan. Anything "
        "else?",
        thanks="Perfect, thanks.",
    ),
    Topic(
        subject="Is the espresso machine still under warranty?",
        body="My espresso machine has stopped heating. I bought it 14 months ago; is it still "
        "covered?",
        ask="Could you send the serial number from the back of the machine?",
        clarify="It's EM-2-{ref}.",
        solution="It's covered by the 2-year warranty; a return is authorised and a courier will "
        "collect it. Does tomorrow suit you?",
        thanks="Tomorrow is fine. Thank you.",
    ),
    Topic(
        subject="Cleaning instructions for the deck oven",
        body="What should we use to clean the stone soles of our deck oven? The manual isn't "
        "clear.",
        ask="Which model is it: the DO-3 or the DO-4?",
        clarify="The DO-4.",
        solution="For the DO-4: brush the soles when cool, never use water or detergent; the "
        "cleaning guide is now in your portal. Anything else?",
        thanks="Very helpful, thank you.",
    ),
]

AGENT_NOTES = [
    "Customer is opening a new site next month: worth a quick call.",
    "Checked the ERP: everything else on the account is in order.",
    "Called the customer; they prefer email from now on.",
    "Invoice overdue in billing: don't promise credit before it's paid.",
]

DEPARTMENT_QUESTIONS = {
    "finance": "Which address should the credit note show: head office or the shop?",
    "manufacturing": "Do we have the customer's drawing, or should we work from the quote?",
}

RETURN_REASONS = {
    "finance": "We can't act on this without the original order number: please ask the "
    "customer for it.",
    "manufacturing": "This needs a site survey before we can commit to anything; please arrange "
    "one with the customer first.",
}

CANCEL_REASONS = [
    "Customer sorted it out with their own accountant.",
    "Duplicate of another request; handled there.",
]

CHASERS = [
    "Any news on this? We need an answer by Friday.",
    "Just checking in: has anyone had a chance to look?",
]

NOT_FIXED = "Sorry to come back on this: it isn't sorted after all. Could someone look again?"

ESCALATION_REASONS = [
    "Customer has chased twice; their opening day is at risk.",
    "Enterprise account in renewal talks: handle with care.",
    "Production deadline at risk.",
]

DEESCALATION_REASON = "Customer confirmed the revised date is fine."

REOPEN_REASON = "Resolved by mistake: the customer is still waiting for the collection."

# Request stories: (name, how many, age in hours (from, to), the steps played in order).
# Together they cover every request state and every task state.
PATHS = [
    ("new", 5, (0.2, 6), ()),
    ("open", 4, (2, 48), ("assign", "note")),
    ("open_task_done", 4, (6, 72), ("assign", "hand_off", "claim", "complete")),
    ("open_task_returned", 2, (6, 72), ("assign", "hand_off", "send_back")),
    ("open_task_cancelled", 2, (6, 72), ("assign", "hand_off", "cancel")),
    ("waiting_on_department", 4, (2, 48), ("assign", "hand_off", "chase")),
    ("task_claimed", 4, (4, 72), ("assign", "hand_off", "claim", "question")),
    ("parallel_tasks", 3, (6, 96),
     ("assign", "note", "hand_off", "hand_off_also", "claim", "complete")),
    ("waiting_on_customer", 4, (2, 72), ("assign", "ask")),
    ("answer_relayed", 3, (6, 96), ("assign", "hand_off", "claim", "complete", "solution")),
    ("resolved", 4, (24, 144),
     ("assign", "hand_off", "complete", "solution", "thanks", "resolve")),
    ("resolved_quick", 2, (24, 144), ("assign", "solution", "resolve")),
    ("closed", 5, (150, 500),
     ("assign", "note", "hand_off", "claim", "complete", "solution", "resolve", "close")),
    ("closed_dialogue", 2, (150, 500),
     ("assign", "ask", "clarify", "solution", "thanks", "resolve", "close")),
    ("reopened_by_customer", 2, (24, 144), ("assign", "solution", "resolve", "not_fixed")),
    ("reopened_by_agent", 1, (24, 144), ("assign", "hand_off", "complete", "resolve", "reopen")),
]  # fmt: skip

ESCALATED = 8  # requests that get escalated on the way
DEESCALATED = 2  # of which are de-escalated again
