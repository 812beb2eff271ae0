"""URLs signed for 24 hours: how recordings and voicemail audio are read without an API key.

The signature covers the path and the expiry; the server's clock decides expiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi.responses import FileResponse

from orbit_voice.errors import Forbidden
from orbit_voice.kit.signing import url_signature, verify_url_signature
from orbit_voice.kit.timeutil import iso
from orbit_voice.runtime import Runtime

URL_TTL = timedelta(hours=24)


def sign(rt: Runtime, path: str) -> tuple[str, datetime]:
    """The absolute URL for ``path`` and when it stops working."""
    expires_at = rt.clock.now() + URL_TTL
    expires = int(expires_at.timestamp())
    sig = url_signature(rt.settings.signing_secret, path, expires)
    base = rt.settings.public_base_url.rstrip("/")
    return f"{base}{path}?expires={expires}&signature={sig}", expires_at


def sign_finished(rt: Runtime, status: str, path: str) -> tuple[str | None, str | None]:
    """A recording's ``signed_url`` and its expiry (ISO 8601): both None until the recording
    is ``completed``."""
    if status != "completed":
        return None, None
    url, expires_at = sign(rt, path)
    return url, iso(expires_at)


def problem(rt: Runtime, path: str, expires: int, signature: str) -> str | None:
    """None when the URL is good, else the error code (invalid_signature, url_expired)."""
    if not verify_url_signature(rt.settings.signing_secret, path, expires, signature):
        return "invalid_signature"
    if expires < int(rt.clock.now().timestamp()):
        return "url_expired"
    return None


def check(rt: Runtime, path: str, expires: int, signature: str) -> None:
    code = problem(rt, path, expires, signature)
    if code == "invalid_signature":
        raise Forbidden("The URL signature is not valid.", code=code)
    if code == "url_expired":
        raise Forbidden("This URL has expired; fetch a new one.", code=code)


def audio_file(path: Path) -> FileResponse:
    """The audio behind a signed URL, typed by its format (SIP recordings are MP3, the
    simulator's WAV)."""
    media_type = "audio/mpeg" if path.suffix == ".mp3" else "audio/wav"
    return FileResponse(path, media_type=media_type, filename=path.name)
