"""``Idempotency-Key`` on POST: replay the first answer, refuse a reused key or a race.

The key is claimed in its own committed transaction *before* the handler runs, so a
concurrent duplicate sees the claim and gets 409 instead of dialling a second time.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orbit_voice.api.envelope import error_response
from orbit_voice.idempotency.models import IdempotencyRecord
from orbit_voice.orgs.service import hash_key

TTL = timedelta(hours=24)
MAX_KEY_LEN = 255


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        api_key = headers.get("x-api-key")
        if not key or not api_key:
            await self.app(scope, receive, send)
            return

        request = Request(scope)
        if len(key) > MAX_KEY_LEN:
            await error_response(
                request,
                422,
                "validation_error",
                f"Idempotency-Key must be at most {MAX_KEY_LEN} characters.",
                param="Idempotency-Key",
            )(scope, receive, send)
            return

        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)

        app_state = scope["app"].state
        clock = app_state.clock
        sessionmaker = app_state.sessionmaker
        owner = hash_key(api_key)
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + _canonical(body)).hexdigest()

        async with sessionmaker() as session:
            existing = await session.get(IdempotencyRecord, (owner, key))
            if existing is not None and clock.now() - existing.created_at > TTL:
                await session.delete(existing)
                await session.commit()
                existing = None
            if existing is None:
                session.add(
                    IdempotencyRecord(
                        scope=owner,
                        key=key,
                        fingerprint=fingerprint,
                        status="processing",
                        created_at=clock.now(),
                    )
                )
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    existing = (
                        await session.execute(
                            select(IdempotencyRecord).where(
                                IdempotencyRecord.scope == owner, IdempotencyRecord.key == key
                            )
                        )
                    ).scalar_one_or_none()
                    if existing is None:  # claimed and released meanwhile: treat as a race
                        await _conflict(request, scope, receive, send)
                        return

        if existing is not None:
            if existing.fingerprint != fingerprint:
                await error_response(
                    request,
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request body.",
                    param="Idempotency-Key",
                )(scope, receive, send)
            elif existing.status != "done":
                await _conflict(request, scope, receive, send)
            else:
                await _replay(existing, send)
            return

        await self._run_and_store(scope, body, send, owner, key)

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, owner: str, key: str
    ) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        content_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    if k.decode().lower() == "content-type":
                        content_type = v.decode()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        sessionmaker = scope["app"].state.sessionmaker
        try:
            await self.app(scope, replay_receive, capture)
        finally:
            async with sessionmaker() as session:
                # Failures that say nothing about the request (bad key, server error) are not
                # remembered: the client may retry them with the same key.
                if status >= 500 or status == 401:
                    await session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.scope == owner, IdempotencyRecord.key == key
                        )
                    )
                else:
                    record = await session.get(IdempotencyRecord, (owner, key))
                    if record is not None:
                        record.status = "done"
                        record.response_status = status
                        record.response_body = b"".join(chunks)
                        record.content_type = content_type
                await session.commit()


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        return body


async def _conflict(request: Request, scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(
        request,
        409,
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still being processed.",
        param="Idempotency-Key",
    )(scope, receive, send)


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"idempotent-replayed", b"true")]
    if record.content_type:
        headers.append((b"content-type", record.content_type.encode()))
    body = record.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": record.response_status or 200,
        "headers": headers,
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
