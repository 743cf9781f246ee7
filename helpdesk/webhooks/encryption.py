"""Webhook signing secrets are stored encrypted: a copy of the database (a backup, a replica, a
leaked dump) does not let anyone sign webhooks our receivers would trust.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under keys derived with HKDF from
Django's SECRET_KEY and SECRET_KEY_FALLBACKS, so there is no second secret to keep. To rotate:
set the new DJANGO_SECRET_KEY and put the old one in DJANGO_SECRET_KEY_FALLBACKS (stored secrets
still decrypt), run `manage.py reencrypt_webhook_secrets`, then drop the fallback.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"nucleus webhook signing secrets"


class SecretUnreadable(Exception):
    """No configured key opens it: the secret key changed without its fallback."""


def _fernet(secret_key):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=4)
def _keys(secret_keys):
    return MultiFernet([_fernet(k) for k in secret_keys])


def _current():
    """Encrypts with SECRET_KEY; decrypts with it or any fallback."""
    return _keys((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


def encrypt(plaintext):
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token):
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The webhook signing secret cannot be decrypted: DJANGO_SECRET_KEY changed "
            "without the old key in DJANGO_SECRET_KEY_FALLBACKS."
        ) from None


def reencrypt(token):
    """The same secret under the current key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A webhook signing secret cannot be decrypted with any key."
        ) from None
