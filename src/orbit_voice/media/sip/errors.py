"""PJSUA2 errors translated into ``MediaError`` subclasses at the adapter boundary.

pjsua2 raises ``pjsua2.Error`` (``status``, ``title``, ``reason``); nothing from the vendor
crosses into the domain services, which only know ``MediaError`` (503) and its subclasses.
"""

from __future__ import annotations

from orbit_voice.media.backend import LegNotFound, MediaError, MediaUnavailable

# pj_status_t values worth telling apart (pjlib/pjsip error codes).
_NOT_FOUND = {70004, 171140}  # PJ_ENOTFOUND, PJSIP_ESESSIONTERMINATED
_UNAVAILABLE = {70007, 70018, 120098}  # PJ_EINVALIDOP, PJ_EBUSY, address in use


def translate(exc: BaseException, context: str) -> MediaError:
    if isinstance(exc, MediaError):
        return exc
    status = getattr(exc, "status", None)
    reason = str(getattr(exc, "reason", "") or exc) or type(exc).__name__
    title = str(getattr(exc, "title", "") or "")
    details: dict[str, object] = {"reason": reason}
    if title:
        details["operation"] = title
    if isinstance(status, int):
        details["status"] = status
        if status in _NOT_FOUND:
            return LegNotFound(f"{context}: {reason}", details=details)
        if status in _UNAVAILABLE:
            return MediaUnavailable(f"{context}: {reason}", details=details)
    return MediaError(f"{context}: {reason}", details=details)
