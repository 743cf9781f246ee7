"""`Authorization: Bearer <token>` and nothing else: no session cookies, so a page on another
origin cannot ride a logged-in browser into the API (no CSRF surface)."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from helpdesk.api import throttle
from helpdesk.api.models import ApiToken
from helpdesk.api.tokens import token_for_secret
from helpdesk.client_ip import client_ip


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # no credentials: NotAuthenticated (401) unless the view allows anyone
        address = client_ip(request)
        if throttle.is_locked_out(address):
            raise exceptions.Throttled(
                wait=throttle.window_seconds(), detail="Too many failed token attempts."
            )
        token = None
        if len(parts) == 2:
            try:
                token = token_for_secret(parts[1].decode("ascii"))
            except UnicodeDecodeError:
                token = None
        if token is None:
            throttle.count_failure(address)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        # A customer token has no user: anything that asks workflows.permissions about
        # AnonymousUser is refused, so a slip in a view fails closed.
        return (token.user if token.is_staff_scope else AnonymousUser(), token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiToken(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken)
