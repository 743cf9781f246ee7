"""Where the benchmark runs: its own PostgreSQL database, production-like settings.

The bench never touches the databases tests use: it creates `nucleus_bench` (smoke:
`nucleus_bench_smoke`) on the local server unless BENCH_DATABASE_URL names another. DEBUG is
off so timings exclude debug-only work (query logging, template debugging); query counts come
from CaptureQueriesContext, which works either way.
"""

import os
import secrets
import warnings
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def database_url(smoke):
    return os.environ.get("BENCH_DATABASE_URL") or (
        f"{DEFAULT_SERVER}/nucleus_bench{'_smoke' if smoke else ''}"
    )


def ensure_database(url):
    """CREATE DATABASE if it is missing (connecting to the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redis_reachable(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def configure(smoke):
    """Point Django at the bench database, set it up and migrate; return run metadata."""
    url = database_url(smoke)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    if "REDIS_URL" not in os.environ:
        redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
        if redis_reachable(redis_url):
            os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("NUCLEUS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

    import django
    from django.core.management import call_command

    # WhiteNoise warns that collectstatic never ran; the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    from django.conf import settings
    from django.db import connection

    connection.ensure_connection()
    version = connection.connection.info.server_version  # e.g. 160004
    return {
        "database": f"PostgreSQL {version // 10000}.{version % 100} "
        f"({settings.DATABASES['default']['NAME']})",
        "channel layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
    }
