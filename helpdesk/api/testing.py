"""Test helpers: Django's test client speaking to the API with a bearer token."""

import json

from django.test import Client

from helpdesk.api.tokens import issue_token


class TokenClient:
    """JSON in and out, `Authorization: Bearer` on every call, no cookies of its own."""

    def __init__(self, secret, token=None):
        self.secret = secret
        self.token = token
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, data=None, *, key=None, raw=None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        body = raw if raw is not None else json.dumps({} if data is None else data)
        return self.client.post(path, body, content_type="application/json", headers=headers)


def token_client(scope, **owner):
    token, secret = issue_token(scope=scope, **owner)
    return TokenClient(secret, token)
