"""SSRF guard: webhook and media URLs may only reach public http(s) hosts.

Two layers. ``check_url`` validates a URL up front, so a request naming a private target
gets a 422 on the right field. But the address it saw is not the one a later fetch uses:
an HTTP client resolves the name again when it connects, and a hostile DNS server can
answer a public address to the check and ``127.0.0.1`` or ``169.254.169.254`` to the
connection (DNS rebinding). So every server-side fetch also goes through ``guarded_client``,
whose connections resolve the name once, refuse it if any address is not public, and
connect to the vetted IP itself; nothing is resolved after the check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from orbit_voice.errors import Invalid

# httpcore's type of one ``setsockopt`` argument tuple (httpcore does not export it).
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
# httpx's default pool limits (``httpx.AsyncClient`` uses them; httpx does not export them).
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


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


async def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in resolver order, without repeats.

    Raises ``socket.gaierror`` (or ``UnicodeError`` for a name IDNA cannot encode).
    """
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refuse_non_public(addresses: Iterable[str], param: str) -> None:
    """Raise the ``url_not_allowed`` error if any address is not public.

    One non-public answer is enough: a name that also points inside is not trusted with
    either, as a client could pick either one.
    """
    for address in addresses:
        if not _is_public(address):
            raise Invalid(
                f"{param} resolves to a non-public address ({address}).",
                code="url_not_allowed",
                param=param,
            )


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
        addresses = await _resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise Invalid(f"{param} host '{host}' does not resolve.", param=param) from exc
    _refuse_non_public(addresses, param)
    return url


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to vetted public addresses.

    ``connect_tcp`` resolves the host itself, refuses (``Invalid``, ``url_not_allowed``,
    on ``param``) when any address is not public, then asks ``inner`` to connect to the IP
    literal, trying the vetted addresses in resolver order. The inner backend therefore
    never resolves anything. TLS is unaffected: httpcore calls ``start_tls`` with the
    URL's host name as ``server_hostname``, not with what ``connect_tcp`` was given, so the
    certificate is still checked against the name.
    """

    def __init__(self, *, param: str, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._param = param
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # ``timeout`` is httpcore's connect timeout; it covers the lookup and every try.
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                addresses = await _resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        _refuse_non_public(addresses, self._param)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            left = None if deadline is None else max(deadline - loop.time(), 0.0)
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} resolves to no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: a Unix socket is local by definition (httpx only uses one when asked)."""
        raise Invalid(
            f"{self._param} may not reach a local socket.",
            code="url_not_allowed",
            param=self._param,
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping, pooling) over a ``PinnedBackend``.

    httpx 0.28 offers no argument to hand its transport a network backend, and building its
    httpcore pool is all ``AsyncHTTPTransport.__init__`` does; so this builds that pool with
    the backend and inherits everything else. No proxy: through a proxy the proxy would
    resolve the name, and nothing here could pin it.
    """

    def __init__(
        self,
        backend: PinnedBackend,
        *,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=backend,
        )


def guarded_client(
    *,
    allow_private: bool,
    param: str = "webhook_url",
    timeout: float = 5.0,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for server-side fetches of user-given URLs.

    Redirects are never followed by the client (callers that follow them check each hop
    with ``check_url`` first). A connection to a non-public address raises ``Invalid``
    (``url_not_allowed``, on ``param``), the same error ``check_url`` gives. With
    ``allow_private`` (tests, local development) it is a plain client.
    """
    if allow_private:
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    transport = PinnedTransport(PinnedBackend(param=param))
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
