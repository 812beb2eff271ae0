"""Voicemail notification emails, sent to a real SMTP server (aiosmtpd) on localhost."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from helpers import create_number, create_voicemail_box, press, ring_inbound, set_handler
from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def settings(settings: Settings, smtp_server: tuple[Inbox, int]) -> Settings:
    """The shared settings, with SMTP pointed at the local server."""
    return settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{smtp_server[1]}", "smtp_from": "vm@orbit.test"}
    )


async def test_message_is_emailed_with_its_audio(
    api: httpx.AsyncClient, clock: FakeClock, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp_server
    box = await create_voicemail_box(
        api, name="Sales", notification_email="team@acme.example", transcribe=False
    )
    number = await create_number(api)
    await set_handler(api, number["id"], "voicemail", box["id"])
    call = await ring_inbound(api, from_="+14155552671")
    await clock.advance(2)
    await clock.advance(6)
    await press(api, call["id"], "#")
    await clock.advance(0)  # let the notification task finish

    message = (await api.get("/v1/voice/voicemails")).json()["data"][0]
    assert message["notification"] == {"status": "sent", "detail": None}
    assert len(inbox.messages) == 1
    rcpts, email = inbox.messages[0]
    assert rcpts == ["team@acme.example"]
    assert email["From"] == "vm@orbit.test"
    assert email["Subject"] == "New voicemail from +14155552671 (6 s) in Sales"
    parts = list(email.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain")
    assert f"/v1/voice/voicemails/{message['id']}/audio?" in str(text.get_payload(decode=True))
    wav = next(p for p in parts if p.get_content_type() == "audio/wav")
    audio = wav.get_payload(decode=True)
    assert isinstance(audio, bytes) and audio[:4] == b"RIFF"
    assert len(audio) == message["size_bytes"]


async def test_smtp_down_is_recorded_as_failed(
    api: httpx.AsyncClient, clock: FakeClock, smtp_server: tuple[Inbox, int], app: Any
) -> None:
    # Point at a port where nothing listens.
    app.state.runtime.settings.smtp_url = f"smtp://127.0.0.1:{_free_port()}"
    box = await create_voicemail_box(api, notification_email="team@acme.example")
    number = await create_number(api)
    await set_handler(api, number["id"], "voicemail", box["id"])
    call = await ring_inbound(api)
    await clock.advance(3)
    await press(api, call["id"], "#")
    await clock.advance(0)
    message = (await api.get("/v1/voice/voicemails")).json()["data"][0]
    assert message["notification"]["status"] == "failed"
    assert "Connection" in message["notification"]["detail"]
    assert smtp_server[0].messages == []
