"""Re-run a write request that lost a race on a call's version check.

A request and a media event may change the same call at once. The loser of the optimistic
version check rolls back completely (work that must follow a commit, such as dialling, only
runs after one), so running the request again on the fresh state is safe; the client sees
409 ``concurrent_update`` only if the race repeats every time.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ATTEMPTS = 3
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_MARKER = b'"code":"concurrent_update"'


class RetryOnConcurrentUpdate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if (
            scope["type"] != "http"
            or scope["method"] not in _WRITES
            or headers.get(b"content-type", b"").startswith(b"multipart/")
        ):
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)

        for attempt in range(1, ATTEMPTS + 1):
            sent = await self._run_once(scope, body)
            status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 500)
            payload = b"".join(
                m.get("body", b"") for m in sent if m["type"] == "http.response.body"
            )
            if status == 409 and _MARKER in payload and attempt < ATTEMPTS:
                continue
            for message in sent:
                await send(message)
            return

    async def _run_once(self, scope: Scope, body: bytes) -> list[Message]:
        replayed = False
        sent: list[Message] = []

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            sent.append(message)

        await self.app(scope, replay, capture)
        return sent
