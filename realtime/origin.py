"""Websocket handshakes from a foreign Origin are refused, and each refusal is logged.

Cookies ride along on a cross-site websocket (browsers apply no same-origin rule to them), so
an Origin check is what keeps another site from opening a staff socket with a staff session.
Channels' validator refuses silently; a refusal can be an attack in progress, so say so.
"""

import logging
from urllib.parse import urlparse

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator

logger = logging.getLogger(__name__)


def origin_of(scope):
    """The raw Origin header of a handshake, or None when the client sent none."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin1")
    return None


class LoggedOriginValidator(OriginValidator):
    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = origin_of(scope)
            if not self.valid_origin(None if origin is None else urlparse(origin)):
                client = (scope.get("client") or ("?",))[0]
                logger.warning(
                    "Websocket refused at the handshake: foreign origin %r for %s from %s",
                    origin,
                    scope.get("path"),
                    client,
                )
        return await super().__call__(scope, receive, send)


def allowed_hosts_origin_validator(application):
    """Channels' allowed-hosts validator (ALLOWED_HOSTS, with its DEBUG defaults), logging."""
    allowed = AllowedHostsOriginValidator(application).allowed_origins
    return LoggedOriginValidator(application, allowed)
