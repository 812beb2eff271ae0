"""Voicemail boxes and their messages: configuration, listing, reading, deleting."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.errors import Conflict, Forbidden, Invalid, NotFound, not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.runtime import Runtime
from orbit_voice.voicemail import audio
from orbit_voice.voicemail.models import VoicemailBox, VoicemailMessage
from orbit_voice.voicemail.schemas import (
    BoxCreate,
    BoxOut,
    BoxUpdate,
    MessageOut,
    NotificationOut,
)
from orbit_voice.webhooks.ssrf import check_url

log = logging.getLogger("orbit_voice.voicemail")


# -- boxes ----------------------------------------------------------------------------


def box_out(box: VoicemailBox, messages_count: int) -> BoxOut:
    return BoxOut(
        id=box.id,
        name=box.name,
        greeting=box.greeting,
        transcribe=box.transcribe,
        max_duration=box.max_duration,
        notification_email=box.notification_email,
        webhook_url=box.webhook_url,
        messages_count=messages_count,
        created_at=box.created_at,
        updated_at=box.updated_at,
    )


async def counts(session: AsyncSession, org_id: str, box_ids: list[str]) -> dict[str, int]:
    """Stored messages per box (a message still being recorded does not count yet)."""
    if not box_ids:
        return {}
    rows = await session.execute(
        select(VoicemailMessage.voicemail_id, func.count())
        .where(
            VoicemailMessage.org_id == org_id,
            VoicemailMessage.voicemail_id.in_(box_ids),
            VoicemailMessage.status != "recording",
        )
        .group_by(VoicemailMessage.voicemail_id)
    )
    return {str(box_id): int(n) for box_id, n in rows.all()}


async def create_box(
    session: AsyncSession, rt: Runtime, org_id: str, body: BoxCreate, clock: Clock
) -> VoicemailBox:
    if body.webhook_url:
        await check_url(body.webhook_url, allow_private=rt.settings.webhooks_allow_private)
    now = clock.now()
    box = VoicemailBox(
        id=new_id("vmail"),
        org_id=org_id,
        name=body.name,
        greeting=body.greeting,
        transcribe=body.transcribe,
        max_duration=body.max_duration,
        notification_email=body.notification_email,
        webhook_url=body.webhook_url,
        created_at=now,
        updated_at=now,
    )
    session.add(box)
    await session.flush()
    return box


async def find_box(session: AsyncSession, org_id: str, box_id: str) -> VoicemailBox | None:
    return (
        await session.execute(
            select(VoicemailBox).where(VoicemailBox.id == box_id, VoicemailBox.org_id == org_id)
        )
    ).scalar_one_or_none()


async def first_box(session: AsyncSession, org_id: str) -> VoicemailBox | None:
    """The org's oldest box: where voicemail without a named box goes."""
    return (
        await session.execute(
            select(VoicemailBox)
            .where(VoicemailBox.org_id == org_id)
            .order_by(VoicemailBox.created_at, VoicemailBox.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_box(session: AsyncSession, org_id: str, box_id: str) -> VoicemailBox:
    box = await find_box(session, org_id, box_id)
    if box is None:
        raise not_found("voicemail", box_id)
    return box


async def list_boxes(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[VoicemailBox], Pagination]:
    stmt = select(VoicemailBox).where(VoicemailBox.org_id == org_id)
    return await paginate(session, stmt, VoicemailBox.created_at, VoicemailBox.id, params)


async def update_box(
    session: AsyncSession, rt: Runtime, org_id: str, box_id: str, body: BoxUpdate, clock: Clock
) -> VoicemailBox:
    box = await get_box(session, org_id, box_id)
    sent = body.model_fields_set
    for field in ("name", "greeting", "transcribe", "max_duration"):
        if field in sent:
            value = getattr(body, field)
            if value is None:
                raise Invalid(f"{field} cannot be null.", param=field)
            setattr(box, field, value)
    if "notification_email" in sent:
        box.notification_email = body.notification_email
    if "webhook_url" in sent:
        if body.webhook_url:
            await check_url(body.webhook_url, allow_private=rt.settings.webhooks_allow_private)
        box.webhook_url = body.webhook_url or None
    box.updated_at = clock.now()
    await session.flush()
    return box


async def box_users(session: AsyncSession, org_id: str, box_id: str) -> dict[str, list[str]]:
    """Numbers and IVR flows that send calls to ``box_id``."""
    from orbit_voice.ivr.models import IvrFlow
    from orbit_voice.numbers.models import Number

    numbers = (await session.execute(select(Number).where(Number.org_id == org_id))).scalars()
    using_numbers = sorted(
        n.number
        for n in numbers
        if any(
            h and h.get("type") == "voicemail" and h.get("target") == box_id
            for h in (n.handler, n.off_hours_handler)
        )
    )
    flows = (await session.execute(select(IvrFlow).where(IvrFlow.org_id == org_id))).scalars()
    using_flows = sorted(
        f.id
        for f in flows
        if (f.fallback_action == "voicemail" and f.fallback_target == box_id)
        or any(
            o.get("action") == "voicemail" and o.get("target") == box_id
            for o in f.menu.get("options", [])
        )
    )
    return {"numbers": using_numbers, "ivr_flows": using_flows}


async def delete_box(session: AsyncSession, org_id: str, box_id: str) -> None:
    """Deletes the box with its messages and their audio."""
    box = await get_box(session, org_id, box_id)
    used_by = await box_users(session, org_id, box.id)
    if used_by["numbers"] or used_by["ivr_flows"]:
        raise Conflict(
            "This voicemail box is in use; point its numbers and IVR menus elsewhere first.",
            code="voicemail_in_use",
            details=used_by,
        )
    messages = (
        await session.execute(
            select(VoicemailMessage).where(
                VoicemailMessage.org_id == org_id, VoicemailMessage.voicemail_id == box.id
            )
        )
    ).scalars()
    paths = []
    for message in messages:
        if message.path:
            paths.append(Path(message.path))
        await session.delete(message)
    await session.flush()  # messages first: the box row cascades to them otherwise
    await session.delete(box)
    await session.flush()
    _remove_after_commit(session, paths)


def _remove_after_commit(session: AsyncSession, paths: list[Path]) -> None:
    from orbit_voice.db import after_commit

    async def remove() -> None:
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.warning("could not remove voicemail audio %s", path)

    if paths:
        after_commit(session, remove)


# -- messages -------------------------------------------------------------------------


def message_out(rt: Runtime, message: VoicemailMessage) -> MessageOut:
    url, expires_at = (None, None)
    if message.status == "completed" and message.path:
        url, expires_at = audio.signed_url(rt, message.id)
    return MessageOut(
        id=message.id,
        voicemail_id=message.voicemail_id,
        call_id=message.call_id,
        caller=message.caller,
        direction=message.direction,
        status=message.status,
        duration_seconds=message.duration_seconds,
        transcription=message.transcription,
        transcription_status=message.transcription_status,
        recording_url=url,
        recording_url_expires_at=expires_at,
        format=message.format,
        size_bytes=message.size_bytes,
        listened=message.listened,
        listened_at=message.listened_at,
        end_reason=message.end_reason,
        notification=NotificationOut(
            status=message.notification_status, detail=message.notification_detail
        ),
        created_at=message.created_at,
        completed_at=message.completed_at,
    )


def _messages(
    org_id: str,
    voicemail_id: str | None,
    direction: str | None,
    status: str | None,
    unread: bool | None,
) -> Select[VoicemailMessage]:
    stmt = select(VoicemailMessage).where(VoicemailMessage.org_id == org_id)
    if voicemail_id:
        stmt = stmt.where(VoicemailMessage.voicemail_id == voicemail_id)
    if direction:
        stmt = stmt.where(VoicemailMessage.direction == direction)
    if status:
        stmt = stmt.where(VoicemailMessage.status == status)
    if unread is not None:
        stmt = stmt.where(VoicemailMessage.listened.is_(not unread))
    return stmt


async def list_messages(
    session: AsyncSession,
    org_id: str,
    params: PageParams,
    *,
    voicemail_id: str | None = None,
    direction: str | None = None,
    status: str | None = None,
    unread: bool | None = None,
) -> tuple[list[VoicemailMessage], Pagination]:
    stmt = _messages(org_id, voicemail_id, direction, status, unread)
    return await paginate(session, stmt, VoicemailMessage.created_at, VoicemailMessage.id, params)


async def get_message(session: AsyncSession, org_id: str, message_id: str) -> VoicemailMessage:
    message = (
        await session.execute(
            select(VoicemailMessage).where(
                VoicemailMessage.id == message_id, VoicemailMessage.org_id == org_id
            )
        )
    ).scalar_one_or_none()
    if message is None:
        raise not_found("voicemail_message", message_id)
    return message


async def mark_read(
    session: AsyncSession, org_id: str, message_id: str, clock: Clock
) -> VoicemailMessage:
    """Idempotent: a message already read keeps its first ``listened_at``."""
    message = await get_message(session, org_id, message_id)
    if not message.listened:
        message.listened = True
        message.listened_at = clock.now()
        await session.flush()
    return message


async def delete_message(session: AsyncSession, org_id: str, message_id: str) -> None:
    message = await get_message(session, org_id, message_id)
    if message.status == "recording":
        raise Conflict(
            "This message is still being recorded; delete it once the caller is done.",
            code="voicemail_recording",
        )
    paths = [Path(message.path)] if message.path else []
    await session.delete(message)
    await session.flush()
    _remove_after_commit(session, paths)


async def audio_file(
    session: AsyncSession, rt: Runtime, message_id: str, expires: int, signature: str
) -> Path:
    """The file behind a signed URL, if the signature is valid and not expired."""
    problem = audio.verify(rt, message_id, expires, signature)
    if problem == "invalid_signature":
        raise Forbidden("The URL signature is not valid.", code=problem)
    if problem == "url_expired":
        raise Forbidden("This voicemail URL has expired; fetch a new one.", code=problem)
    message = await session.get(VoicemailMessage, message_id)
    if message is None or message.path is None or not Path(message.path).exists():
        raise NotFound("No such voicemail message.", code="voicemail_message_not_found")
    return Path(message.path)
