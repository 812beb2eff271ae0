"""SSRF guard: webhook and media URLs may only reach public http(s) hosts."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from orbit_voice.errors import Invalid


def _is_public(address: str) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    if isinstance(ip, ipaddress.IPv6Address):
        blocked = blocked or ip.is_site_local
    return not blocked


async def check_url(url: str, *, allow_private: bool, param: str = "webhook_url") -> str:
    """Return ``url`` when it is http(s) to a public host; else raise ``Invalid`` on ``param``."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Invalid(f"{param} must be an http or https URL with a host.", param=param)
    if parts.username or parts.password:
        raise Invalid(f"{param} must not carry credentials.", param=param)
    if allow_private:
        return url
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise Invalid(f"{param} host '{host}' does not resolve.", param=param) from exc
    for info in infos:
        address = str(info[4][0])
        if not _is_public(address):
            raise Invalid(
                f"{param} resolves to a non-public address ({address}).",
                code="url_not_allowed",
                param=param,
            )
    return url
