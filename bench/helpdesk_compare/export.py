"""The Nucleus bench data mapped onto django-helpdesk's tables, as CSV files for COPY.

A request becomes a ticket (same id, subject, description, submitter, owner, queue = its
department); django-helpdesk records every comment and every status change as a follow-up,
so a ticket's follow-ups are the request's messages (public replies and internal notes)
plus one per status change. Department tasks have no django-helpdesk equivalent.
"""

import json

from django.db import connection

# Nucleus priority 4 urgent .. 1 low; django-helpdesk 1 critical .. 5 very low.
TICKETS = """
SELECT r.id, left(r.subject, 200) AS title, r.department_id AS queue_id,
       r.created_at AS created, r.updated_at AS modified, c.email AS submitter_email,
       r.assignee_id AS assigned_to_id,
       CASE r.status WHEN 'resolved' THEN 3 WHEN 'closed' THEN 4 ELSE 1 END AS status,
       false AS on_hold, r.body AS description, 5 - r.priority AS priority,
       left(md5(r.public_token), 32) AS secret_key
FROM helpdesk_request r JOIN helpdesk_customer c ON c.id = r.customer_id
"""
FOLLOWUPS = """
SELECT m.request_id AS ticket_id, m.created_at AS date,
       CASE WHEN m.author_customer_id IS NULL THEN 'Comment' ELSE 'E-Mail Received' END
           AS title,
       m.body AS comment, m.kind = 'reply' AS public, m.author_user_id AS user_id,
       NULL::integer AS new_status
FROM helpdesk_message m
UNION ALL
SELECT e.request_id, e.created_at, initcap(replace(e.payload->>'new', '_', ' ')), '',
       true, e.actor_id,
       CASE e.payload->>'new' WHEN 'resolved' THEN 3 WHEN 'closed' THEN 4 ELSE 1 END
FROM helpdesk_event e WHERE e.type = 'status_changed'
"""
# Every Nucleus staff member is staff in django-helpdesk (its staff views need is_staff).
USERS = """
SELECT id, password, last_login, is_superuser, username, first_name, last_name, email,
       true AS is_staff, is_active, date_joined
FROM auth_user
"""


def write(directory):
    """Write users.csv, tickets.csv, followups.csv and queues.json into `directory`."""
    for name, sql in (("users", USERS), ("tickets", TICKETS), ("followups", FOLLOWUPS)):
        _copy_out(sql, directory / f"{name}.csv")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, slug, name FROM helpdesk_department ORDER BY id")
        queues = [{"id": i, "slug": s, "title": t} for i, s, t in cursor.fetchall()]
    (directory / "queues.json").write_text(json.dumps(queues))


def _copy_out(sql, path):
    connection.ensure_connection()
    with (
        path.open("wb") as target,
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for chunk in copy:
            target.write(chunk)
