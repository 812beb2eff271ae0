"""Encryption of secrets kept at rest (trunk passwords): Fernet (AES-128-CBC + HMAC-SHA256)
with a key derived from ``ORBIT_ENCRYPTION_KEY`` by HKDF-SHA256."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"orbit-voice/secretbox/fernet/v1"


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, plaintext: str) -> str:
    return _fernet(secret).encrypt(plaintext.encode()).decode()


def decrypt(secret: str, token: str) -> str | None:
    """The plaintext, or None when ``token`` was made with another key or was altered."""
    try:
        return _fernet(secret).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
