"""A real HTTP receiver for webhook tests that checks Standard Webhooks signatures itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    event_id: str
    timestamp: str
    headers: dict[str, str]
    payload: dict[str, Any]
    valid_signature: bool
    status: int


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.requests: list[Received] = []
        self._fail: dict[str | None, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver._handle(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def fail(self, times: int, event_id: str | None = None) -> None:
        """Answer 500 to the next ``times`` requests (for ``event_id`` only, if given)."""
        with self._lock:
            self._fail[event_id] = times

    def _verify(self, msg_id: str, timestamp: str, body: bytes, header: str) -> bool:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        expected = base64.b64encode(mac).decode()
        return any(
            hmac.compare_digest(sig.removeprefix("v1,"), expected)
            for sig in header.split()
            if sig.startswith("v1,")
        )

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        msg_id = handler.headers.get("webhook-id", "")
        timestamp = handler.headers.get("webhook-timestamp", "")
        valid = self._verify(msg_id, timestamp, body, handler.headers.get("webhook-signature", ""))
        with self._lock:
            key = msg_id if self._fail.get(msg_id) else None
            if not valid:
                status = 400
            elif self._fail.get(key):
                self._fail[key] -= 1
                status = 500
            else:
                status = 200
            self.requests.append(
                Received(
                    event_id=msg_id,
                    timestamp=timestamp,
                    headers={k.lower(): v for k, v in handler.headers.items()},
                    payload=json.loads(body),
                    valid_signature=valid,
                    status=status,
                )
            )
        handler.send_response(status)
        handler.send_header("content-length", "0")
        handler.end_headers()

    def ids(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [r.event_id for r in self.requests if status is None or r.status == status]

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
