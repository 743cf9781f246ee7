"""Actions run prepared statements on PostgreSQL (workflows.log.prepared_statements); pages
never do, so that every list and search is planned for its own values."""

import pytest
from django.db import connection

from workflows import actions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requires_postgres")]


def prepared():
    """The statements this connection has prepared."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_an_actions_statements_are_prepared_once_they_repeat(agent, new_request):
    for n in range(3):
        actions.add_internal_note(new_request.pk, agent, f"Note {n}.")
    statements = prepared()
    assert any('INSERT INTO "helpdesk_message"' in s for s in statements)
    assert any("FOR UPDATE" in s for s in statements)
    assert connection.connection.prepare_threshold is None  # and only inside the action


def test_a_page_prepares_nothing(agent_client, new_request):
    before = set(prepared())
    for _ in range(6):  # more than psycopg's own threshold
        assert agent_client.get(f"/console/?q={new_request.subject}").status_code == 200
    assert set(prepared()) == before
