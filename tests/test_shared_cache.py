"""What the shared cache (Redis, when scaled) saves the pages: the session's query, and a
Redis client built for every call. tests/test_cache_outage.py: the same without Redis."""

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_a_page_reads_its_session_from_the_shared_cache(requires_redis, agent, client):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/console/").status_code == 200
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_a_logout_ends_the_session_in_the_cache_too(requires_redis, agent, client):
    """Another process finds a session in the shared cache first: a logout must leave none."""
    client.force_login(agent)
    key = client.session.session_key
    elsewhere = Client()
    elsewhere.cookies = client.cookies
    assert elsewhere.get("/console/").status_code == 200
    client.post("/accounts/logout/")
    assert not SessionStore().exists(key)
    assert elsewhere.get("/console/").status_code == 302  # to the login page


def test_the_cache_keeps_one_redis_client(requires_redis):
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is first  # one server: reads and writes share its pool
    cache.set("nucleus:test-one-client", 7)
    assert cache.get("nucleus:test-one-client") == 7
    cache.delete("nucleus:test-one-client")
