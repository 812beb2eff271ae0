"""A scripted resolver and a bare local HTTP server, for the SSRF guard's tests.

``FakeDns`` answers the names it is given itself, one scripted answer per lookup (the last
one repeats), the way a hostile DNS server rebinds a name between a check and the
connection; every other name goes to the real resolver. It replaces ``socket.getaddrinfo``,
which the event loop's ``getaddrinfo`` calls, so the code under test resolves as it would.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

import pytest


class FakeDns:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lookups: list[str] = []
        self._scripts: dict[str, list[list[str]]] = {}
        real = socket.getaddrinfo

        def getaddrinfo(
            host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
        ) -> list[Any]:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self._scripts:
                return real(host, port, family, type, proto, flags)
            self.lookups.append(name)
            script = self._scripts[name]
            addresses = script.pop(0) if len(script) > 1 else script[0]
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            number = int(port or 0)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, number, 0, 0))
                if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, number))
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def script(self, name: str, *answers: list[str]) -> None:
        """Answer lookups of ``name`` with ``answers`` in turn (an empty one: no such name)."""
        self._scripts[name] = [list(a) for a in answers]


class LocalHttp:
    """Answers every request on 127.0.0.1 with ``200 ok`` and counts the connections."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.connections = 0
        self._tls = tls
        self._server: asyncio.Server | None = None

    async def start(self) -> LocalHttp:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
