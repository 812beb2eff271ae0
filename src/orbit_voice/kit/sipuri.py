"""SIP URI checks for trunk endpoints and agents' phones: ``sip:``/``sips:``, optional user, a
host (name, IPv4 or [IPv6]), an optional port 1..65535 and optional ``;name[=value]``
parameters."""

from __future__ import annotations

import ipaddress
import re

MAX_LENGTH = 512
_URI = re.compile(
    r"^(?P<scheme>sips?):"
    r"(?:(?P<user>[^@;?\s]+)@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;?@\s\[\]]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<params>(?:;[^;?\s]*)*)$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$")
_PARAM = re.compile(r"^[A-Za-z0-9\-_.!~*'%+]+(?:=[A-Za-z0-9\-_.!~*'%+\[\]:]+)?$")


def _check_host(host: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise ValueError(f"'{host}' is not a valid IPv6 address") from exc
        return
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise ValueError(f"'{host}' is not a valid IPv4 address") from exc
        return
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"'{host}' is not a valid host name")


def normalize_sip_uri(value: str) -> str:
    """Return ``value`` with a lower-case scheme, or raise ``ValueError`` saying what is wrong."""
    if len(value) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters")
    match = _URI.match(value.strip())
    if match is None or value != value.strip():
        raise ValueError(
            "must be a SIP URI like sip:pbx.example.com:5060 (sip: or sips:, an optional "
            "user@, a host, an optional port and ;parameters)"
        )
    user = match["user"]
    if user is not None:
        if ":" in user:
            raise ValueError("must not carry a password (user:password@)")
        if not _USER.match(user):
            raise ValueError(f"has an invalid user part '{user}'")
    _check_host(match["host"])
    port = match["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"has port {port}; a port must be 1..65535")
    params = match["params"]
    for param in params.split(";")[1:]:
        if not _PARAM.match(param):
            raise ValueError(f"has an invalid parameter ';{param}'")
    return match["scheme"].lower() + value[len(match["scheme"]) :]


def transport_param(uri: str) -> str | None:
    """The lower-cased ``;transport=`` of a valid URI, or None when it names none."""
    match = _URI.match(uri.strip())
    if match is None:
        return None
    for param in match["params"].split(";")[1:]:
        name, _, value = param.partition("=")
        if name.lower() == "transport":
            return value.lower()
    return None
