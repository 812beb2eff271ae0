from __future__ import annotations

from orbit_voice.errors import OrbitError


class PayloadTooLarge(OrbitError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(OrbitError):
    status_code = 415
    code = "unsupported_media_type"
