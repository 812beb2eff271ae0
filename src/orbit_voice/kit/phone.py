"""E.164 validation with phonenumbers."""

from __future__ import annotations

import phonenumbers


def normalize_e164(value: str) -> str:
    """Return ``value`` in E.164 or raise ``ValueError`` saying why not."""
    if not isinstance(value, str) or not value.startswith("+"):
        raise ValueError("must be a phone number in E.164 format, like +14155552671")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be a phone number in E.164 format, like +14155552671") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("is not a possible phone number")
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value:
        raise ValueError(f"must be in E.164 format (did you mean {formatted}?)")
    return formatted
