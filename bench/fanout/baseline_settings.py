"""Settings for the baseline: the plain Channels design, nothing else.

BASELINE_LAYER=memory (default) or redis (RedisChannelLayer on REDIS_URL). A database is
configured, as in any Django project, so Channels' per-message connection clean-up runs as
it would in production; the consumers never query it.

redis-py 8 caps a connection pool at 100 and raises MaxConnectionsError beyond that (it used
to be unbounded): with the stock layer config, 128 sockets connecting at once fail with
HTTP 500 in group_add. The baseline gets a pool large enough not to fail.
"""

import os
import tempfile
from pathlib import Path

SECRET_KEY = "bench-baseline-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.fanout.baseline_asgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(tempfile.gettempdir()) / "nucleus-bench-baseline.sqlite3",
    }
}
USE_TZ = True

if os.environ.get("BASELINE_LAYER") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "max_connections": 10_000}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
