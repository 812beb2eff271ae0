"""HMAC signing for webhooks (Standard Webhooks) and expiring URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac


def webhook_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` (key: the secret after whsec_)."""
    raw = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = raw.encode()
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def url_signature(secret: str, path: str, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"{path}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def verify_url_signature(secret: str, path: str, expires: int, signature: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, and a URL can carry any.
    expected = url_signature(secret, path, expires).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))
