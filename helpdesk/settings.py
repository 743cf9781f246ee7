"""Settings read from the environment.

Nothing set gives the embedded default (SQLite in WAL mode, in-memory channel layer);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis for a scaled deployment.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "django-insecure-nucleus-development-only"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Old keys still accepted while a new one takes over (signed values, webhook secrets at rest).
SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
DEBUG = os.environ.get("DJANGO_DEBUG", "1").lower() in ("1", "true", "yes", "on")
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY: the development key is refused when DEBUG is off."
    )
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "csp",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "helpdesk",
    "helpdesk.mail",
    "helpdesk.api",
    "helpdesk.webhooks",
    "workflows",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.nav",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# Databases ---------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parallel test runs on one server each need their own test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("NUCLEUS_TEST_DB") or None}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Writers take the lock when the transaction starts, so a read-then-write action
            # never fails half-way with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Live-server tests run daphne in a child process: it needs a file, not :memory:.
            "TEST": {
                "NAME": os.environ.get("NUCLEUS_TEST_DB") or str(BASE_DIR / "test-db.sqlite3")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# Channels ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Presence (who has a request open) and rate-limit counters live in the cache: shared Redis
# when scaled. Redis out of reach degrades to misses (helpdesk/cache.py), and the limits are not
# counted until it is back rather than refusing everyone: logins and the rest keep working.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions read through the shared cache (written to both): a page asks Redis, not
    # PostgreSQL. Only a shared cache will do: a per-process one would keep a session that
    # another process logged out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATELIMIT_FAIL_OPEN = True

# Background jobs -----------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# API: bearer tokens only (never session cookies, so no CSRF surface), JSON in and out.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["helpdesk.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.api.authentication.HasApiToken"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.errors.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Nucleus API",
    "DESCRIPTION": "Requests, department tasks and their event log. "
    "Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "ENUM_NAME_OVERRIDES": {
        "RequestStatus": "workflows.states.RequestStatus",
        "TaskStatus": "workflows.states.TaskStatus",
    },
}

# Auth ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("NUCLEUS_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security --------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline scripts or styles anywhere: htmx's own indicator styles are switched off in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "support@nucleus.example")

# Nucleus ---------------------------------------------------------------------
# The status page shows staff by first name only unless this is on.
NUCLEUS_STATUS_SHOWS_FULL_STAFF_NAMES = os.environ.get("NUCLEUS_FULL_STAFF_NAMES") == "1"

# How many reverse proxies stand in front and append to X-Forwarded-For; rate limits key on
# the client address they saw (helpdesk.client_ip). 0: REMOTE_ADDR, the header is ignored.
_trusted_proxies = os.environ.get("NUCLEUS_TRUSTED_PROXIES", "0").strip()
if not _trusted_proxies.isdigit():
    raise ImproperlyConfigured(
        f"NUCLEUS_TRUSTED_PROXIES must be a whole number of proxies, not {_trusted_proxies!r}."
    )
NUCLEUS_TRUSTED_PROXIES = int(_trusted_proxies)
RATELIMIT_IP_META_KEY = "helpdesk.client_ip.client_ip"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("NUCLEUS_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
