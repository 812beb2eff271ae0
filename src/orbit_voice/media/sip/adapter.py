"""``SipBackend``: the MediaBackend Protocol on the PJSIP engine.

Each method hands a command to the engine thread and awaits its result; what the engine
reports comes back on the event loop and goes, one at a time and in order, to the sink (media
events) or to the inbound handler (INVITEs). Live audio of connected legs (when an audio sink
is set) has a dispatcher of its own, so media events never wait behind voice detection and
the audio never waits behind the database; an event that must follow a leg's audio (a far
end's hangup) travels behind it and is handed on once that audio is delivered. pjsua2 is
imported only when the backend starts, so a server without it still serves (live calls then
answer 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from orbit_voice.config import Settings
from orbit_voice.media.backend import (
    AudioFrame,
    AudioSink,
    DirectRoute,
    Encryption,
    EventSink,
    InboundLeg,
    LegNotFound,
    MediaError,
    MediaEvent,
    MediaUnavailable,
    MonitorMode,
    OriginateRequest,
    RecordingResult,
    TtsVoice,
)
from orbit_voice.media.sip.types import SipInvite, TapClosed, TrunkAuth

if TYPE_CHECKING:
    from orbit_voice.media.sip.engine import Engine

log = logging.getLogger("orbit_voice.media.sip")

T = TypeVar("T")
COMMAND_TIMEOUT = 10.0
# How long a hangup waits for the leg's last live audio to reach the audio sink.
TAP_DRAIN_TIMEOUT = 2.0
InviteHandler = Callable[[SipInvite], Awaitable[Any]]
_URI = re.compile(r"^(?P<scheme>sips?):(?:[^@;?]+@)?(?P<rest>.+)$", re.IGNORECASE)


def target_uri(termination_uri: str, to: str, encryption: Encryption = "none") -> str:
    """The Request-URI for ``to`` through a trunk: the trunk's URI with ``to`` as its user.

    An encrypted trunk (``tls``, ``tls_srtp``) is reached over TLS: a ``sips:`` URI already
    says so; a ``sip:`` URI gets ``;transport=tls`` in place of any transport it named."""
    match = _URI.match(termination_uri.strip())
    if match is None:
        raise MediaError(f"The trunk URI '{termination_uri}' is not a SIP URI.", code="bad_trunk")
    scheme, rest = match["scheme"].lower(), match["rest"]
    if encryption != "none" and scheme == "sip":
        hostport, *params = rest.split(";")
        kept = [p for p in params if p and p.split("=", 1)[0].strip().lower() != "transport"]
        rest = ";".join([hostport, *kept, "transport=tls"])
    return f"{scheme}:{to}@{rest}"


def default_ca_file() -> Path | None:
    """The CA bundle trunks' certificates are checked against when ORBIT_SIP_TLS_CA_FILE is
    unset: certifi's (Mozilla's list). The OpenSSL inside the pjsua2 wheel does not read the
    system's trust store, so without a bundle no certificate would verify."""
    try:
        import certifi
    except ImportError:
        return None
    return Path(certifi.where())


class SipBackend:
    name = "sip"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._sink: EventSink | None = None
        self._invite_handler: InviteHandler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[object] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._audio_queue: asyncio.Queue[object] | None = None
        self._audio_dispatcher: asyncio.Task[None] | None = None
        self._rec_paths: dict[str, Path] = {}
        self.cache_dir = settings.data_dir / "media-cache"
        self._audio_sink: AudioSink | None = None
        self._tap_waiters: dict[str, list[asyncio.Future[None]]] = {}
        # Live audio taps write here while a leg is connected; each file is deleted once read
        # (and a crashed server's leftovers when this one starts).
        self.tap_dir = settings.data_dir / "live-audio"

    # -- lifecycle -------------------------------------------------------------------

    def set_sink(self, sink: EventSink) -> None:
        self._sink = sink

    def set_invite_handler(self, handler: InviteHandler) -> None:
        self._invite_handler = handler

    def set_audio_sink(self, sink: AudioSink) -> None:
        """Where the live audio of connected legs goes (``AudioFrame``s, 8 kHz mono, per leg:
        ``caller`` its far end, ``agent`` what our side sends it). Legs are tapped only while
        a sink is set."""
        self._audio_sink = sink
        engine = self._engine
        if engine is not None and engine.running:
            tap_dir = self.tap_dir
            engine.submit(lambda: engine.set_tap_dir(tap_dir))

    @property
    def running(self) -> bool:
        return self._engine is not None and self._engine.running

    async def start(self) -> None:
        try:
            from orbit_voice.media.sip.engine import Engine, EngineConfig
        except ImportError as exc:  # no pjsua2 wheel for this platform
            raise MediaUnavailable(f"pjsua2 is not importable: {exc}") from exc
        from orbit_voice.media.sip.tap import process_dir

        self.tap_dir = await asyncio.to_thread(process_dir, self.settings.data_dir / "live-audio")
        s = self.settings
        config = EngineConfig(
            listen_address=s.sip_listen_address,
            port=s.sip_port,
            tls_port=s.sip_tls_port,
            tls_cert_file=s.sip_tls_cert_file,
            tls_key_file=s.sip_tls_key_file,
            tls_ca_file=s.sip_tls_ca_file or default_ca_file(),
            tls_verify_server=s.sip_tls_verify_server,
            rtp_port_min=s.sip_rtp_port_min,
            rtp_port_max=s.sip_rtp_port_max,
            public_address=s.sip_public_address,
            max_calls=s.sip_max_calls,
            stats_interval=s.sip_stats_interval_seconds,
            tap_dir=self.tap_dir if self._audio_sink is not None else None,
        )
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._audio_queue = asyncio.Queue()
        engine = Engine(config, self._post)
        await asyncio.to_thread(engine.start)
        self._engine = engine
        self._dispatcher = asyncio.create_task(self._dispatch(self._queue))
        self._audio_dispatcher = asyncio.create_task(
            self._dispatch_audio(self._audio_queue, self._queue)
        )

    async def stop(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await asyncio.to_thread(engine.stop)
        # Let the audio and events of the teardown reach their sinks before the dispatchers
        # go (audio first: it may hand events on).
        for q in (self._audio_queue, self._queue):
            if q is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(q.join(), 5)
        for task in (self._audio_dispatcher, self._dispatcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._dispatcher = self._audio_dispatcher = None

    def _post(self, item: object) -> None:
        """Engine thread → event loop."""
        loop = self._loop
        q = self._audio_queue if isinstance(item, AudioFrame | TapClosed) else self._queue
        if loop is None or q is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            loop.call_soon_threadsafe(q.put_nowait, item)

    async def _dispatch(self, q: asyncio.Queue[object]) -> None:
        while True:
            item = await q.get()
            try:
                if isinstance(item, MediaEvent):
                    if self._sink is not None:
                        await self._sink(item)
                elif isinstance(item, SipInvite):
                    await self._on_invite(item)
            except Exception:
                log.exception("SIP event handling failed")
            finally:
                q.task_done()

    async def _dispatch_audio(
        self, q: asyncio.Queue[object], events: asyncio.Queue[object]
    ) -> None:
        """Live audio to the audio sink, in order. Nothing here waits for the event
        dispatcher or the database, so a hangup may wait here from anywhere."""
        while True:
            item = await q.get()
            try:
                if isinstance(item, AudioFrame):
                    if self._audio_sink is not None:
                        await self._audio_sink(item)
                elif isinstance(item, TapClosed):
                    for waiter in self._tap_waiters.pop(item.leg_id, []):
                        if not waiter.done():
                            waiter.set_result(None)
                    for event in item.then:
                        events.put_nowait(event)
            except Exception:
                log.exception("live audio delivery failed")
            finally:
                q.task_done()

    async def _on_invite(self, invite: SipInvite) -> None:
        if self._invite_handler is None:
            await self.refuse(invite.token, 503)
            return
        try:
            await self._invite_handler(invite)
        except Exception:
            log.exception("inbound INVITE handling failed")
            with contextlib.suppress(MediaError):
                await self.refuse(invite.token, 500)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        engine = self._engine
        if engine is None:
            raise MediaUnavailable("The SIP engine is not running.")
        future = engine.submit(lambda: fn(engine, *args))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), COMMAND_TIMEOUT)
        except TimeoutError as exc:
            raise MediaUnavailable("The SIP engine did not answer in time.") from exc

    def snapshot(self) -> dict[str, Any]:
        engine = self._engine
        if engine is None:
            return {"running": False}
        return {"running": engine.running}

    async def engine_snapshot(self) -> dict[str, Any]:
        from orbit_voice.media.sip.engine import Engine

        return await self._run(Engine.snapshot)

    # -- calls -----------------------------------------------------------------------

    async def originate(self, request: OriginateRequest) -> None:
        from orbit_voice.media.sip.engine import Engine

        route = request.route
        codecs: tuple[str, ...] = ()
        encryption: Encryption = "none"
        if isinstance(route, DirectRoute):
            # The agent's own phone: its URI as given (a sips: URI is reached over TLS), no
            # trunk credentials, any codec, SRTP if the phone offers it.
            uri, auth = route.uri, TrunkAuth(None)
        else:
            number = route.number if route is not None and route.number else request.to
            if not number.startswith("+"):
                raise MediaError(
                    f"{request.to} cannot be dialled over SIP yet.",
                    code="unroutable_destination",
                    details={"to": request.to},
                )
            if route is None:
                raise MediaError(
                    f"No SIP trunk to reach {number}.", code="no_trunk", details={"to": number}
                )
            uri = target_uri(route.termination_uri, number, route.encryption)
            auth, codecs = TrunkAuth(route.username, route.password), route.codecs
            encryption = route.encryption
        await self._run(
            Engine.originate,
            request.leg_id,
            uri,
            request.from_,
            auth,
            codecs,
            request.ring_timeout,
            encryption,
        )

    async def adopt_inbound(self, leg: InboundLeg) -> None:
        raise MediaError(
            "SIP inbound legs are taken from their INVITE (media.sip.inbound.handle_invite).",
            code="not_supported",
        )

    async def claim(self, token: str, leg: InboundLeg) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.claim, token, leg.leg_id, leg.ring_timeout)

    async def refuse(self, token: str, sip_code: int, reason: str = "") -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.refuse, token, sip_code, reason)

    async def answer(self, leg_id: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.answer, leg_id)

    async def reject(self, leg_id: str, sip_code: int) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.reject, leg_id, sip_code)

    async def hangup(self, leg_id: str) -> None:
        """End the leg; returns once its last live audio has reached the audio sink, so
        whatever runs when the call ends (closing its live transcript) has all of it."""
        from orbit_voice.media.sip.engine import Engine

        waiter = asyncio.get_running_loop().create_future()
        waiters = self._tap_waiters.setdefault(leg_id, [])
        waiters.append(waiter)  # before the command: its TapClosed may come at once
        try:
            tapped = await self._run(Engine.hangup, leg_id)
            if tapped:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, TAP_DRAIN_TIMEOUT)
        finally:
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters and self._tap_waiters.get(leg_id) is waiters:
                del self._tap_waiters[leg_id]

    async def hold(self, leg_id: str, on: bool) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.hold, leg_id, on)

    async def mute(self, leg_id: str, on: bool) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.mute, leg_id, on)

    async def send_dtmf(self, leg_id: str, digits: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.send_dtmf, leg_id, digits)

    # -- audio -----------------------------------------------------------------------

    async def play(
        self, leg_id: str, text: str, language: str, voice: TtsVoice | None = None
    ) -> None:
        from orbit_voice.media.sip import tts
        from orbit_voice.media.sip.engine import Engine

        rate = await self._run(Engine.codec_rate, leg_id)
        path = await tts.render(text, language, rate, self.cache_dir / "tts", voice)
        await self._run(Engine.play_prompt, leg_id, path, tts.wav_seconds(path))

    async def play_audio(self, leg_id: str, path: Path, loop: bool) -> None:
        from orbit_voice.media.sip import audiofile
        from orbit_voice.media.sip.engine import Engine

        playable = await audiofile.playable(path, self.cache_dir / "audio")
        await self._run(Engine.play_audio, leg_id, playable, loop)

    async def stop_audio(self, leg_id: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.stop_audio, leg_id)

    async def stop_prompts(self, leg_id: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.stop_prompts, leg_id)

    async def queued_audio_seconds(self, leg_id: str) -> float:
        from orbit_voice.media.sip.engine import Engine

        return await self._run(Engine.queued_audio_seconds, leg_id)

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.bridge, leg_a, leg_b)

    async def unbridge(self, leg_a: str, leg_b: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.unbridge, leg_a, leg_b)

    # -- recording -------------------------------------------------------------------

    async def start_recording(self, leg_id: str, path: Path, dual_channel: bool) -> None:
        from orbit_voice.media.sip.engine import Engine
        from orbit_voice.media.sip.recording import recorder_files

        files = recorder_files(path, dual_channel)
        await self._run(Engine.start_recording, leg_id, files, dual_channel)
        self._rec_paths.setdefault(leg_id, path)

    async def stop_recording(self, leg_id: str, trim: bool) -> RecordingResult:
        return await self._finish(leg_id, trim)

    async def recover_recording(self, path: Path, trim: bool) -> RecordingResult | None:
        from orbit_voice.media.sip import recording

        return await asyncio.to_thread(recording.recover, path, trim)

    async def _finish(self, owner: str, trim: bool) -> RecordingResult:
        from orbit_voice.media.sip import recording
        from orbit_voice.media.sip.engine import Engine

        path = self._rec_paths.pop(owner, None)
        if path is None:
            raise LegNotFound(f"{owner} is not being recorded.")
        files, dual = await self._run(Engine.stop_recording, owner)
        return await asyncio.to_thread(
            recording.finish, files, dual, path.with_suffix(".mp3"), trim
        )

    # -- conferences -----------------------------------------------------------------

    async def conference_join(self, room_id: str, leg_id: str, *, muted: bool) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.conference_join, room_id, leg_id, muted)

    async def conference_leave(self, room_id: str, leg_id: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.conference_leave, room_id, leg_id)

    async def conference_mute(self, room_id: str, leg_id: str, on: bool) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.conference_mute, room_id, leg_id, on)

    async def conference_start_recording(self, room_id: str, path: Path) -> None:
        from orbit_voice.media.sip.engine import Engine
        from orbit_voice.media.sip.recording import recorder_files

        owner = f"room:{room_id}"
        await self._run(Engine.start_recording, owner, recorder_files(path, False), False)
        self._rec_paths.setdefault(owner, path)

    async def conference_stop_recording(self, room_id: str) -> RecordingResult:
        return await self._finish(f"room:{room_id}", trim=False)

    async def conference_end(self, room_id: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.conference_end, room_id)

    # -- monitoring ------------------------------------------------------------------

    async def monitor(
        self, call_leg: str, agent_leg: str | None, supervisor_leg: str, mode: MonitorMode
    ) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.monitor, call_leg, agent_leg, supervisor_leg, mode)

    async def unmonitor(self, supervisor_leg: str) -> None:
        from orbit_voice.media.sip.engine import Engine

        await self._run(Engine.unmonitor, supervisor_leg)
