"""The connect-time SSRF guard: a name is resolved once per connection and the connection
goes only to an address that was vetted, so DNS rebinding after ``check_url`` gets nowhere.

Real connections to a local server where the test is about reaching (or not reaching) it;
a recording network backend where it is about which address the guard asked for.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from fake_dns import FakeDns, LocalHttp
from orbit_voice.errors import Invalid
from orbit_voice.webhooks.ssrf import PinnedBackend, PinnedTransport, check_url, guarded_client
from sip_support import make_tls_files

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Recorder(httpcore.AsyncMockBackend):
    """Answers ``200 ok`` on every connection and notes where each one was asked to go;
    ``refuse`` lists addresses whose connect fails."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        super().__init__([OK])
        self.asked: list[tuple[str, int]] = []
        self.refuse = refuse

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.asked.append((host, port))
        if host in self.refuse:
            raise httpcore.ConnectError(f"no route to {host}")
        return await super().connect_tcp(host, port, *args, **kwargs)


def pinned(inner: httpcore.AsyncNetworkBackend, **transport: Any) -> httpx.AsyncClient:
    backend = PinnedBackend(param="webhook_url", inner=inner)
    return httpx.AsyncClient(transport=PinnedTransport(backend, **transport))


async def test_a_name_rebound_after_the_check_is_refused_at_connect(
    fake_dns: FakeDns, local_http: LocalHttp
) -> None:
    fake_dns.script("rebind.test", [PUBLIC_V4], ["127.0.0.1"])
    url = f"http://rebind.test:{local_http.port}/hook"
    assert await check_url(url, allow_private=False) == url
    async with guarded_client(allow_private=False) as client:
        with pytest.raises(Invalid) as caught:
            await client.post(url, content=b"{}")
    assert caught.value.code == "url_not_allowed" and caught.value.param == "webhook_url"
    assert caught.value.message == "webhook_url resolves to a non-public address (127.0.0.1)."
    assert fake_dns.lookups == ["rebind.test", "rebind.test"]  # the check, then the connect
    assert local_http.connections == 0


async def test_the_connection_goes_to_the_vetted_address(fake_dns: FakeDns) -> None:
    fake_dns.script("hooks.example", [PUBLIC_V4, PUBLIC_V6], ["127.0.0.1"])
    recorder = Recorder()
    async with pinned(recorder) as client:
        response = await client.get("http://hooks.example/hook")
    assert response.status_code == 200 and response.text == "ok"
    assert recorder.asked == [(PUBLIC_V4, 80)]
    assert fake_dns.lookups == ["hooks.example"]  # resolved once, by the guard only


async def test_an_unreachable_vetted_address_falls_back_to_the_next(fake_dns: FakeDns) -> None:
    fake_dns.script("hooks.example", [PUBLIC_V6, PUBLIC_V4])
    recorder = Recorder(refuse=(PUBLIC_V6,))
    async with pinned(recorder) as client:
        assert (await client.get("https://hooks.example/hook")).status_code == 200
    assert recorder.asked == [(PUBLIC_V6, 443), (PUBLIC_V4, 443)]


async def test_one_non_public_answer_refuses_the_name(fake_dns: FakeDns) -> None:
    fake_dns.script("mixed.example", [PUBLIC_V4, "169.254.169.254"])
    recorder = Recorder()
    async with pinned(recorder) as client:
        with pytest.raises(Invalid, match=r"non-public address \(169\.254\.169\.254\)"):
            await client.get("http://mixed.example/latest/meta-data")
    assert recorder.asked == []


async def test_a_name_that_does_not_resolve_is_a_connect_error(fake_dns: FakeDns) -> None:
    fake_dns.script("gone.example", [])
    async with pinned(Recorder()) as client:
        with pytest.raises(httpx.ConnectError, match=r"gone\.example does not resolve"):
            await client.get("http://gone.example/hook")


async def test_ip_literals_are_vetted_and_allow_private_is_a_plain_client(
    local_http: LocalHttp,
) -> None:
    url = f"http://127.0.0.1:{local_http.port}/hook"
    async with guarded_client(allow_private=False, param="audio_url") as client:
        with pytest.raises(Invalid) as caught:
            await client.get(url)
    assert caught.value.param == "audio_url" and local_http.connections == 0
    async with guarded_client(allow_private=True) as client:
        response = await client.get(url)
    assert (response.status_code, response.text) == (200, "ok")
    assert local_http.connections == 1


class ToLoopback(httpcore.AnyIOBackend):
    """Notes the address it is asked for, then connects to 127.0.0.1 instead: a network on
    which that public address is this test's TLS server."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(host)
        return await super().connect_tcp("127.0.0.1", port, *args, **kwargs)


@pytest.mark.parametrize(("cert_host", "ok"), [("hooks.example", True), ("other.example", False)])
async def test_tls_verifies_the_certificate_against_the_host_name(
    fake_dns: FakeDns, tmp_path: Path, cert_host: str, ok: bool
) -> None:
    files = make_tls_files(tmp_path, "hooks", hosts=(cert_host,))
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(files.cert, files.key)
    server = await LocalHttp(tls=server_tls).start()
    fake_dns.script("hooks.example", [PUBLIC_V4])
    inner = ToLoopback()
    trust = ssl.create_default_context(cafile=str(files.ca))
    try:
        async with pinned(inner, verify=trust) as client:
            url = f"https://hooks.example:{server.port}/hook"
            if ok:
                assert (await client.get(url)).text == "ok"
            else:
                with pytest.raises(httpx.ConnectError, match=r"(?i)certificate verify failed"):
                    await client.get(url)
    finally:
        await server.close()
    # The TCP connection went to the vetted IP; the certificate names only ``cert_host``,
    # so it was accepted or refused on the URL's host name, not on that IP.
    assert inner.asked == [PUBLIC_V4]
