import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.origin import allowed_hosts_origin_validator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from realtime.sessions import socket_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": allowed_hosts_origin_validator(
            socket_auth_stack(URLRouter(websocket_urlpatterns))
        ),
    }
)
