"""Words for bench data: subjects, bodies and names that read like a real help desk.

Search timings only mean something on text with a realistic spread of words, so subjects
mix templates with products, order and invoice numbers rather than repeating one string.
"""


def _words(text):
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ann Ben Carla Dev Elena Farid Grace Hugo Ines Jon Kara Liam Mona Nils Olga Pavel "
    "Quinn Rosa Sam Tara Umar Vera Wes Xena Yusuf Zoe Aisha Bruno Chloe Dario Eva Felix "
    "Gita Hans Ida Jamal Kim Lars Maya Noor Oscar Priya Raj Sofia Tom Uma Victor Wen "
    "Yara Zaid"
)
LAST_NAMES = _words(
    "Adams Baker Chen Diaz Evans Fischer Garcia Hansen Ito Jones Khan Lopez Meyer Novak "
    "Okafor Patel Quist Rossi Silva Tanaka Ueda Vargas Weber Xu Young Zimmer Andersen "
    "Brown Costa Dubois Eriksen Ferrari Gomez Horvat Ivanova Jensen Kowalski Larsen "
    "Moreau Nielsen"
)
ORG_WORDS = _words(
    "Acme Northwind Contoso Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent "
    "Tyrell Cyberdyne Aperture Wonka Gringotts Oscorp Pied Piper Massive Dynamic Blue "
    "Sun Nakatomi Monarch Ollivander Bluth Dunder Sterling Prestige Virtucon Yoyodyne "
    "Zorg Axiom Helix"
)
ORG_KINDS = _words("Ltd GmbH BV SA Inc AB Oy plc")
PRODUCTS = (
    "router X200",
    "pump P-40",
    "valve kit V3",
    "sensor S9",
    "controller C12",
    "printer head H7",
    "battery pack B5",
    "display panel D2",
    "gearbox G8",
    "filter set F1",
    "licence Pro",
    "support plan Gold",
)

SUBJECTS = {
    "support": (
        "Order {order} arrived damaged",
        "Where is my order {order}?",
        "Refund for order {order}",
        "Change the delivery address of order {order}",
        "Our {product} stopped working",
        "Cannot log in to the customer portal",
        "Replacement parts for the {product}",
        "Warranty claim: {product}",
        "Password reset email never arrives",
        "Wrong item in order {order}",
    ),
    "sales": (
        "Quote for {qty} units of {product}",
        "Volume discount for our {product} orders",
        "Upgrade from {product} to the next model",
        "Renewal of our support plan",
    ),
    "finance": (
        "Invoice {invoice} shows the wrong VAT",
        "Payment for invoice {invoice} not received",
        "Credit note for order {order}",
        "Duplicate charge on invoice {invoice}",
        "Please update our billing address",
    ),
    "fulfilment": (
        "Delivery of order {order} is missing items",
        "Courier left order {order} at the wrong address",
        "Split shipment for order {order}",
    ),
}
OPENINGS = (
    "Hello,",
    "Hi team,",
    "Good morning,",
    "Dear support,",
    "Hi,",
)
CUSTOMER_SENTENCES = (
    "We placed order {order} two weeks ago and nothing has arrived yet.",
    "The {product} shows an error light as soon as it is switched on.",
    "Our accounts team says invoice {invoice} does not match the quote.",
    "Could you tell me when we can expect an answer?",
    "This is blocking our production line, so it is quite urgent for us.",
    "I have attached photos of the damaged packaging.",
    "The tracking page has not changed for five days.",
    "We were charged twice for the same delivery.",
    "Please call me back on the usual number if that is easier.",
    "Thanks for looking into it so quickly.",
    "The replacement you sent works, thank you.",
    "Unfortunately the problem is back since this morning.",
)
STAFF_SENTENCES = (
    "Thanks for getting in touch about this.",
    "I have asked our {department} team to check and will come back to you today.",
    "Could you send us the serial number of the {product}?",
    "A replacement has been booked and should reach you within three working days.",
    "I can see the payment now; the invoice is marked as paid.",
    "We have issued a credit note for the difference.",
    "Could you confirm the delivery address for order {order}?",
    "Sorry for the wait, the courier has confirmed a new delivery date.",
    "I am closing this for now; just reply if anything else comes up.",
)
NOTE_SENTENCES = (
    "Customer is on the {tier} tier, so the 4 hour target applies.",
    "Checked the ERP: order {order} left the warehouse on time.",
    "Finance, can you confirm whether invoice {invoice} was paid?",
    "Second time this month for this customer, worth a call.",
    "Waiting for the carrier's claim number.",
    "Serial number matches a batch with known faults.",
)
TASK_INSTRUCTIONS = {
    "finance": (
        "Please check whether invoice {invoice} was paid and issue a credit note if so.",
        "Refund order {order} to the original card.",
        "Confirm the VAT rate applied on invoice {invoice}.",
    ),
    "manufacturing": (
        "Inspect the returned {product} and tell us whether it is a known fault.",
        "Can you build a replacement {product} this week?",
    ),
    "fulfilment": (
        "Ship a replacement for order {order} by express.",
        "Find out where order {order} is with the courier.",
    ),
    "sales": ("Prepare a quote for {qty} units of {product}.",),
    "legal": ("Review the customer's warranty claim on the {product}.",),
    "support": ("Call the customer back about order {order}.",),
}
TASK_ANSWERS = (
    "Done: credit note issued.",
    "Checked, the payment arrived on Monday.",
    "Replacement shipped, tracking number in the ERP.",
    "Known fault in batch 14; replaced under warranty.",
    "Quote sent to the customer directly.",
)
RETURN_REASONS = (
    "Not ours: this order was fulfilled by a partner.",
    "We need the serial number before we can look at this.",
)
REASONS = (
    "Customer is a key account.",
    "Production line stopped.",
    "Reported three times already.",
    "Deadline moved forward.",
)
