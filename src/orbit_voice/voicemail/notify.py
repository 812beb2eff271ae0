"""Voicemail notification emails over SMTP (``ORBIT_SMTP_URL``), sent after the message is
saved, outside the transaction; the outcome is kept on the message."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.lifecycle import NodeRestarted
from orbit_voice.calls.models import Call
from orbit_voice.routing.jobs import run_job
from orbit_voice.runtime import Runtime
from orbit_voice.voicemail import audio
from orbit_voice.voicemail.models import VoicemailBox, VoicemailMessage

log = logging.getLogger("orbit_voice.voicemail.notify")

# Larger recordings are linked, not attached.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps); else STARTTLS when offered
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("ORBIT_SMTP_URL must look like smtp://host:port or smtps://host:port")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_email(rt: Runtime, box: VoicemailBox, message: VoicemailMessage, to: str) -> EmailMessage:
    email = EmailMessage()
    seconds = round(message.duration_seconds or 0)
    email["Subject"] = f"New voicemail from {message.caller} ({seconds} s) in {box.name}"
    email["From"] = rt.settings.smtp_from
    email["To"] = to
    url, expires_at = audio.signed_url(rt, message.id)
    lines = [
        f"{message.caller} left a {seconds}-second message in '{box.name}'.",
        "",
        f"Listen: {url}",
        f"(the link works until {expires_at.isoformat(timespec='seconds')})",
        "",
        f"Message id: {message.id}",
    ]
    if message.transcription:
        lines[1:1] = ["", message.transcription]
    email.set_content("\n".join(lines))
    path = Path(message.path) if message.path else None
    if path is not None and path.exists() and path.stat().st_size <= MAX_ATTACHMENT_BYTES:
        email.add_attachment(
            path.read_bytes(), maintype="audio", subtype="wav", filename=f"{message.id}.wav"
        )
    return email


def _send(target: SmtpTarget, email: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if target.tls:
        smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
    with smtp:
        smtp.ehlo()
        if not target.tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if target.username:
            smtp.login(target.username, target.password or "")
        smtp.send_message(email)


async def send_notification(rt: Runtime, message_id: str) -> None:
    """Email the message to its box's address, then record ``sent`` or ``failed``."""
    prepared: dict[str, EmailMessage] = {}

    async def load(session: AsyncSession) -> None:
        message = await session.get(VoicemailMessage, message_id)
        if message is None or message.notification_status != "pending":
            return
        box = await session.get(VoicemailBox, message.voicemail_id)
        if box is None or not box.notification_email:
            message.notification_status = "skipped"
            message.notification_detail = "the box no longer has a notification_email"
            return
        prepared["email"] = build_email(rt, box, message, box.notification_email)

    await run_job(rt, load, what="voicemail notification (prepare)")
    email = prepared.get("email")
    if email is None:
        return
    status, detail = "sent", None
    try:
        target = parse_smtp_url(rt.settings.smtp_url or "")
        await asyncio.to_thread(_send, target, email)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        log.warning("voicemail notification failed: %s", detail)

    async def record(session: AsyncSession) -> None:
        message = await session.get(VoicemailMessage, message_id)
        if message is not None:
            message.notification_status = status
            message.notification_detail = detail

    await run_job(rt, record, what="voicemail notification (record)")


async def resend_pending(session: AsyncSession, rt: Runtime, event: NodeRestarted) -> None:
    """Voicemail emails the node's last run had queued but not sent (they are sent after
    commit, from memory)."""
    stmt = (
        select(VoicemailMessage.id)
        .join(Call, Call.id == VoicemailMessage.call_id)
        .where(
            VoicemailMessage.notification_status == "pending",
            or_(Call.node_id == event.node_id, Call.node_id.is_(None)),
        )
    )
    for message_id in list(await session.scalars(stmt)):
        rt.clock.spawn(send_notification(rt, message_id))
