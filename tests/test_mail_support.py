"""Helpers shared by the mail tests; this module holds no tests of its own."""

from email.message import EmailMessage
from email.utils import make_msgid

from django.core import mail
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from helpdesk.mail import conf


def build_email(
    *,
    sender="Ann Customer <ann@acme.example>",
    to=None,
    subject="Order 42 arrived broken",
    text="The box was crushed and the vase inside is in pieces.",
    html=None,
    headers=None,
    files=(),
    content_type=None,
):
    """Raw bytes of an email as a mail client would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to or conf.mailbox()
    msg["Subject"] = subject
    headers = {"Message-ID": make_msgid(domain="acme.example"), **(headers or {})}
    for name, value in headers.items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, mime, data in files:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if content_type:
        msg.replace_header("Content-Type", content_type)
    return msg.as_bytes()


def run_tasks():
    """Run every queued background task, as `manage.py db_worker` would."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="mail-tests",
        excluded_queue_names=[],
    )
    ran = 0
    while task_result := DBTaskResult.objects.ready().first():
        worker.run_task(task_result)
        ran += 1
    return ran


def flush_mail():
    """The worker's part: the actions queued their emails as they committed. Returns the
    emails sent by this call."""
    before = len(mail.outbox)
    run_tasks()
    return mail.outbox[before:]


def reply_to_of(email):
    return email.reply_to[0]


def text_of(email):
    """Everything a customer could read in an email: headers, text and HTML."""
    headers = "".join(f"{name}: {value}\n" for name, value in email.message().items())
    return "\n".join([headers, email.body, *(content for content, _ in email.alternatives)])
