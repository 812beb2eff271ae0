"""Hold music: a queue's ``hold_music_url`` fetched once into the data folder, as WAV.

The fetch is SSRF-guarded at every hop (redirects are followed by hand, each target checked),
size-limited while streaming, and decoded (MP3, WAV, FLAC, Ogg Vorbis) to 8 kHz mono 16-bit
WAV, which every media backend plays. A failure is reported, never raised into the
call: the caller waits in silence instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import wave
import weakref
from pathlib import Path
from urllib.parse import urljoin

import httpx

from orbit_voice.errors import Invalid
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.ssrf import check_url, guarded_client

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 15 * 60
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10.0
RATE = 8000

# One fetch per file at a time (per event loop: asyncio locks belong to one loop).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class HoldMusicError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def cache_path(rt: Runtime, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()
    return rt.settings.data_dir / "hold_music" / f"{digest}.wav"


async def prepare(rt: Runtime, url: str) -> Path:
    """The cached WAV of ``url``, fetching and converting it the first time."""
    path = cache_path(rt, url)
    if path.exists():
        return path
    loop_locks = _locks.setdefault(asyncio.get_running_loop(), {})
    lock = loop_locks.setdefault(path.name, asyncio.Lock())
    async with lock:
        if path.exists():
            return path
        data = await _fetch(rt, url)
        wav = await asyncio.to_thread(to_wav, data)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(wav)
        tmp.replace(path)
    return path


async def _fetch(rt: Runtime, url: str) -> bytes:
    allow_private = rt.settings.webhooks_allow_private
    async with guarded_client(
        allow_private=allow_private, param="hold_music_url", timeout=TIMEOUT_SECONDS
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            # ``Invalid`` comes from ``check_url`` or, if the name now resolves inside
            # (DNS rebinding), from the guarded client's connect.
            try:
                await check_url(url, allow_private=allow_private, param="hold_music_url")
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise HoldMusicError(
                            "http_error", f"GET {url} answered {response.status_code}."
                        )
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                        raise HoldMusicError("too_large", f"The file is over {MAX_BYTES} bytes.")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_BYTES:
                            raise HoldMusicError(
                                "too_large", f"The file is over {MAX_BYTES} bytes."
                            )
                    return bytes(body)
            except Invalid as exc:
                raise HoldMusicError("url_not_allowed", exc.message) from exc
            except httpx.HTTPError as exc:
                raise HoldMusicError("fetch_failed", f"GET {url} failed: {exc!r}") from exc
    raise HoldMusicError("too_many_redirects", f"More than {MAX_REDIRECTS} redirects.")


def to_wav(data: bytes) -> bytes:
    """Decode MP3, WAV, FLAC or Ogg Vorbis to 8 kHz mono 16-bit WAV (at most MAX_SECONDS)."""
    import miniaudio

    try:
        decoded = miniaudio.decode(
            data,
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=1,
            sample_rate=RATE,
        )
    except miniaudio.DecodeError as exc:
        raise HoldMusicError("not_audio", f"The file is not audio we can decode: {exc}") from exc
    samples = decoded.samples[: MAX_SECONDS * RATE]
    if not samples:
        raise HoldMusicError("not_audio", "The file holds no audio.")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()
