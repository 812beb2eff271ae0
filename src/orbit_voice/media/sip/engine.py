"""The PJSUA2 endpoint and the one thread that owns it.

Every pjsua2 object is created, used and destroyed on this thread: it runs
``libHandleEvents`` (the wheel releases the GIL while polling), executes the commands other
threads ``submit`` between polls, and fires timers. PJSUA runs with no worker threads of its
own (SIP and RTP are polled here), so its callbacks arrive on this thread too. Results go
back through ``concurrent.futures.Future``; events through the ``on_event`` callback, which
the adapter turns into ``loop.call_soon_threadsafe``.

Teardown order matters (calls, then players and recorders, then accounts, then
``libDestroy``), or the process aborts at exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import heapq
import itertools
import logging
import os
import queue
import re
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pjsua2 as pj

from orbit_voice.media.backend import (
    AudioFrame,
    Encryption,
    LegNotFound,
    MediaError,
    MediaEvent,
    MediaEventKind,
    MediaUnavailable,
    MonitorMode,
)
from orbit_voice.media.graph import OPERATOR, AudioGraph, leg_of
from orbit_voice.media.sip.errors import translate
from orbit_voice.media.sip.sdp import prefer_codecs
from orbit_voice.media.sip.tap import LegTap
from orbit_voice.media.sip.types import SipInvite, TapClosed, TrunkAuth

log = logging.getLogger("orbit_voice.media.sip")

T = TypeVar("T")
CLOCK_RATE = 8000
POLL_MS = 10
DTMF_ON_MS = 100
DTMF_STEP = 0.2  # 100 ms tone + 100 ms gap
# Live audio taps: how often their files are read, and how long one pair of files grows
# before the tap moves on to a new pair (bounds the disk a long call takes: 16 KB/s a side).
TAP_POLL = 0.05
TAP_SEGMENT_SECONDS = 300.0
BUSY_CODES = frozenset({486, 600, 603})
NO_ANSWER_CODES = frozenset({408, 480, 487})
_PROCESS_LOCK = threading.Lock()  # held by the engine thread from libCreate to libDestroy
_USER = re.compile(r"sips?:([^@;>\s]+)@", re.IGNORECASE)
_TLS_FAILURE = re.compile(r"PJSIP_TLS_|\bSSL\b|\bTLS\b", re.IGNORECASE)
_SAVP = re.compile(r"^m=audio \d+(?:/\d+)? \S*SAVP", re.MULTILINE)


@dataclass(frozen=True)
class EngineConfig:
    listen_address: str = "0.0.0.0"
    port: int = 5060
    tls_port: int = 5061
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_ca_file: Path | None = None  # PEM bundle trunks' certificates must chain to
    tls_verify_server: bool = True
    rtp_port_min: int = 10000
    rtp_port_max: int = 20000
    public_address: str | None = None
    max_calls: int = 100
    stats_interval: float = 5.0
    log_level: int = 0
    # Where live audio taps write; None taps nothing (no live audio sink).
    tap_dir: Path | None = None


@dataclass
class _Rec:
    owner: str  # leg id, or "room:<id>"
    dual: bool
    files: list[Path]
    recorders: list[Any]  # AudioMediaRecorder per file: [far, near] or [mix]
    started: float
    closed: bool = False


@dataclass
class _Leg:
    leg_id: str
    direction: str  # outbound | inbound
    call: Any
    encryption: Encryption = "none"
    state: str = "ringing"  # ringing | connected | ended
    ended_by_us: bool = False
    ringing_sent: bool = False
    codecs: tuple[str, ...] = ()
    media: Any = None  # the call's AudioMedia once audio flows
    media_port: int | None = None
    prompts: deque[tuple[Path, float]] = field(default_factory=deque)
    prompt: Any = None
    prompt_ends: float = 0.0  # monotonic time the playing prompt (or clip) ends
    audio: Any = None
    dtmf: deque[str] = field(default_factory=deque)
    dtmf_busy: bool = False
    sip_call_id: str = ""
    stats_sent_final: bool = False
    answer_srtp: bool | None = None  # whether the 2xx's SDP was SRTP (outbound legs)
    media_failed: bool = False  # answered with SDP that could not be taken


class Engine:
    def __init__(self, config: EngineConfig, on_event: Callable[[object], None]) -> None:
        self.config = config
        self._on_event = on_event
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._stopping = False
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        # Everything below is touched only on the engine thread.
        self._ep: Any = None
        self._accounts: dict[str, Any] = {}
        self._local_account: Any = None
        self.legs: dict[str, _Leg] = {}
        self._pending: dict[str, Any] = {}  # token -> pj call awaiting a decision
        # Every pj Call stays referenced here until PJSUA reports it DISCONNECTED.
        self._alive: set[Any] = set()
        self._graveyard: list[Any] = []
        self.graph = AudioGraph()
        self._ports: dict[int, Any] = {}
        self._links: set[tuple[int, int]] = set()
        self._recs: dict[str, _Rec] = {}
        self._tap_dir = config.tap_dir
        self._taps: dict[str, LegTap] = {}
        self._tap_polling = False
        self._silence: Any = None
        # The calls PJSUA really holds: the setting, capped by the wheel's compile-time
        # PJSUA_MAX_CALLS (read back from PJSUA once libInit has applied the cap).
        self.max_calls = config.max_calls

    # -- lifecycle (any thread) ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping

    def start(self, timeout: float = 40.0) -> None:
        self._thread = threading.Thread(target=self._main, name="orbit-sip-engine", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise MediaUnavailable("The SIP engine did not start in time.")
        if self._start_error is not None:
            self._thread.join(timeout)
            raise translate(self._start_error, "The SIP engine could not start")

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is None:
            return
        self._stopping = True
        self._thread.join(timeout)
        self._thread = None

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        if not self.running:
            future.set_exception(MediaUnavailable("The SIP engine is not running."))
            return future
        self._commands.put((fn, future))
        return future

    # -- the thread ---------------------------------------------------------------------

    def _main(self) -> None:
        # PJSUA is one per process: wait for a previous engine's teardown to finish.
        if not _PROCESS_LOCK.acquire(timeout=30):
            self._start_error = MediaUnavailable("Another SIP engine is still shutting down.")
            self._started.set()
            return
        try:
            self._serve()
        finally:
            _PROCESS_LOCK.release()

    def _serve(self) -> None:
        try:
            self._create()
        except BaseException as exc:  # reported to start()
            self._start_error = exc
            self._destroy()
            self._started.set()
            return
        self._started.set()
        try:
            while not self._stopping:
                self._drain()
                self._run_timers()
                self._ep.libHandleEvents(POLL_MS)
                self._graveyard.clear()
        except BaseException:
            log.exception("SIP engine loop crashed")
        finally:
            self._stopping = True
            self._fail_pending_commands()
            self._destroy()

    def _create(self) -> None:
        cfg = self.config
        ep = pj.Endpoint()
        self._ep = ep
        ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = False
        ep_cfg.uaConfig.maxCalls = cfg.max_calls
        ep_cfg.uaConfig.userAgent = "orbit-voice"
        ep_cfg.medConfig.threadCnt = 0
        ep_cfg.medConfig.clockRate = CLOCK_RATE
        ep_cfg.medConfig.sndClockRate = CLOCK_RATE
        ep_cfg.medConfig.noVad = True
        ep_cfg.medConfig.ecTailLen = 0
        # Per call: its stream, a prompt, an audio file, two recorders, two tap recorders
        # (four while a tap moves to new files).
        ep_cfg.medConfig.maxMediaPorts = cfg.max_calls * 9 + 16
        ep_cfg.logConfig.level = cfg.log_level
        ep_cfg.logConfig.consoleLevel = cfg.log_level
        ep.libInit(ep_cfg)
        self.max_calls = _pjsua_max_calls(cfg.max_calls)
        if self.max_calls < cfg.max_calls:
            log.warning(
                "ORBIT_SIP_MAX_CALLS=%d is above what this pjsua2 build holds "
                "(compile-time PJSUA_MAX_CALLS): the engine takes %d concurrent calls",
                cfg.max_calls,
                self.max_calls,
            )
        ep.audDevManager().setNullDev()
        for kind in (pj.PJSIP_TRANSPORT_UDP, pj.PJSIP_TRANSPORT_TCP):
            ep.transportCreate(kind, self._transport_config(cfg.port))
        ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, self._tls_config())
        ep.libStart()
        # Inbound INVITEs land on this account (no other matches their Request-URI).
        self._local_account = self._new_account("orbit", None, None, sips=False)
        self._local_account.setDefault()
        silence = pj.ToneGenerator()
        silence.createToneGenerator(CLOCK_RATE, 1)
        self._silence = silence
        self._ports[silence.getPortId()] = silence

    def _tls_config(self) -> Any:
        """TLS always exists, so encrypted trunks can be dialled: without a certificate PJSIP
        still connects out as a TLS client; its listener then cannot complete a handshake, so
        accepting TLS (calls in over TLS, a far end opening a new connection for an in-dialog
        request) needs ORBIT_SIP_TLS_CERT_FILE/KEY_FILE."""
        cfg = self.config
        tc = self._transport_config(cfg.tls_port)
        tls = tc.tlsConfig
        if cfg.tls_cert_file and cfg.tls_key_file:
            tls.certFile = str(cfg.tls_cert_file)
            tls.privKeyFile = str(cfg.tls_key_file)
        if cfg.tls_ca_file:
            tls.CaListFile = str(cfg.tls_ca_file)
        # Checks the chain against the CA bundle and the name against the URI's host.
        tls.verifyServer = cfg.tls_verify_server
        if not cfg.tls_verify_server:
            log.warning(
                "ORBIT_SIP_TLS_VERIFY_SERVER is off: trunks' TLS certificates are not checked"
            )
        return tc

    def _transport_config(self, port: int) -> Any:
        tc = pj.TransportConfig()
        tc.port = port
        if self.config.listen_address not in ("", "0.0.0.0"):
            tc.boundAddress = self.config.listen_address
        if self.config.public_address:
            tc.publicAddress = self.config.public_address
        return tc

    @property
    def _host(self) -> str:
        cfg = self.config
        if cfg.public_address:
            return cfg.public_address
        return cfg.listen_address if cfg.listen_address not in ("", "0.0.0.0") else "127.0.0.1"

    def _new_account(
        self, user: str, auth: TrunkAuth | None, encryption: Encryption | None, *, sips: bool
    ) -> Any:
        """An account dialling with ``encryption``'s SRTP policy; ``None``: the inbound policy
        (SRTP when the caller offers it, plain RTP otherwise, whatever the transport; which
        trunks must use TLS is checked per INVITE in ``inbound``). ``sips``: it dials
        ``sips:`` URIs, whose dialogs need a ``sips:`` Contact (RFC 3261 8.1.1.8; PJSUA
        writes ``sip:;transport=TLS`` and a strict far end answers 480 "SIPS Required")."""
        acc = _Account(self)
        ac = pj.AccountConfig()
        ac.idUri = f"sip:{user}@{self._host}"
        ac.regConfig.registerOnAdd = False
        if sips:
            ac.sipConfig.contactForced = f"<sips:{user}@{self._host}:{self.config.tls_port}>"
        if encryption is None:
            ac.priority = 1  # first among equals when PJSUA picks the account for an INVITE
        if auth is not None and auth.username:
            ac.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", "*", auth.username, 0, auth.password or "")
            )
        mc = ac.mediaConfig
        if encryption is None:
            mc.srtpUse, mc.srtpSecureSignaling = pj.PJMEDIA_SRTP_OPTIONAL, 0
        else:
            # tls_srtp: RTP/SAVP with SDES keys, refused unless the INVITE leaves over TLS.
            # tls: RTP/AVP with a=crypto, so a far end that takes SDES gets SRTP.
            mc.srtpUse, mc.srtpSecureSignaling = {
                "tls_srtp": (pj.PJMEDIA_SRTP_MANDATORY, 1),
                "tls": (pj.PJMEDIA_SRTP_OPTIONAL, 1),
                "none": (pj.PJMEDIA_SRTP_DISABLED, 0),
            }[encryption]
            mc.srtpOpt.keyings.append(pj.PJMEDIA_SRTP_KEYING_SDES)
        media = mc.transportConfig
        media.port = self.config.rtp_port_min
        media.portRange = self.config.rtp_port_max - self.config.rtp_port_min
        if self.config.listen_address not in ("", "0.0.0.0"):
            media.boundAddress = self.config.listen_address
        if self.config.public_address:
            media.publicAddress = self.config.public_address
        acc.create(ac)
        return acc

    def _account_for(self, auth: TrunkAuth, encryption: Encryption, *, sips: bool) -> Any:
        """The account to dial with: one per credentials, encryption and URI scheme (SRTP
        policy and a forced Contact are account settings in PJSUA), created on first use."""
        secret = f"{auth.username or ''}\0{auth.password or ''}\0{encryption}\0{sips}"
        key = hashlib.sha256(secret.encode()).hexdigest()
        acc = self._accounts.get(key)
        if acc is None:
            acc = self._new_account(auth.username or "orbit", auth, encryption, sips=sips)
            self._accounts[key] = acc
        return acc

    def _drain(self) -> None:
        while True:
            try:
                fn, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except MediaError as exc:
                future.set_exception(exc)
            except Exception as exc:
                future.set_exception(translate(exc, "SIP engine error"))

    def _fail_pending_commands(self) -> None:
        while True:
            try:
                _, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(MediaUnavailable("The SIP engine stopped."))

    def _destroy(self) -> None:
        ep = self._ep
        if ep is None:
            return
        try:
            self._timers.clear()  # their closures hold legs, and legs hold pj calls
            for leg in list(self.legs.values()):
                if leg.state != "ended":
                    leg.ended_by_us = True
                    self._safe_hangup(leg.call, 0)
            for call in list(self._pending.values()):
                self._safe_hangup(call, 503)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and self._alive:
                ep.libHandleEvents(POLL_MS)
            for call in [*self._alive, *self._pending.values()]:
                call.leg = None  # break the call <-> leg cycle: refcounting frees them here
            self._alive.clear()
            for rec in self._recs.values():
                rec.recorders.clear()
                rec.closed = True
            for tap in self._taps.values():
                for segment in tap.segments:
                    segment.recorders.clear()
            for leg in self.legs.values():
                leg.prompt = leg.audio = leg.media = leg.call = None
            self.legs.clear()
            self._pending.clear()
            self._graveyard.clear()
            self._ports.clear()
            self._links.clear()
            self._silence = None
            for acc in [*self._accounts.values(), self._local_account]:
                if acc is not None:
                    with contextlib.suppress(Exception):
                        acc.shutdown()
            self._accounts.clear()
            self._local_account = None
            with contextlib.suppress(Exception):
                # The calls' BYEs went out above; skip PJSUA's fixed wait for the network.
                ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
        finally:
            for tap in self._taps.values():
                tap.discard()
            self._taps.clear()
            self._ep = None
            del ep

    # -- timers and events (engine thread) ----------------------------------------------

    def _after(self, seconds: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._seq), fn))

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception:
                log.exception("SIP engine timer failed")

    def _emit(self, leg_id: str, kind: MediaEventKind, **data: Any) -> None:
        self._on_event(MediaEvent(leg_id=leg_id, kind=kind, data=data, at=datetime.now(UTC)))

    def _leg(self, leg_id: str) -> _Leg:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            raise LegNotFound(f"Leg {leg_id} is not active on the SIP engine.")
        return leg

    def _active_calls(self) -> int:
        return sum(1 for leg in self.legs.values() if leg.state != "ended") + len(self._pending)

    def _slots_in_use(self) -> int:
        """PJSUA call slots taken: a call we hung up keeps its slot until PJSUA reports it
        DISCONNECTED (the BYE's answer), which is exactly how long it stays in ``_alive``."""
        return max(len(self._alive), self._active_calls())

    # -- outbound -------------------------------------------------------------------------

    def originate(
        self,
        leg_id: str,
        target_uri: str,
        from_user: str,
        auth: TrunkAuth,
        codecs: tuple[str, ...],
        ring_timeout: float,
        encryption: Encryption,
    ) -> None:
        if self._slots_in_use() >= self.max_calls:
            raise MediaError(
                "The SIP engine is at its concurrent call limit.",
                code="media_busy",
                details={"max_calls": self.max_calls},
            )
        acc = self._account_for(auth, encryption, sips=target_uri.lower().startswith("sips:"))
        call = _Call(self, acc)
        self._alive.add(call)
        leg = _Leg(
            leg_id=leg_id, direction="outbound", call=call, codecs=codecs, encryption=encryption
        )
        call.leg = leg
        self.legs[leg_id] = leg
        self.graph.add_leg(leg_id)
        prm = pj.CallOpParam(True)
        prm.txOption.localUri = f"sip:{from_user}@{self._host}"
        try:
            call.makeCall(target_uri, prm)
        except Exception as exc:
            self._alive.discard(call)
            self._forget(leg)
            raise translate(exc, f"Could not dial {target_uri}") from exc
        with contextlib.suppress(Exception):
            leg.sip_call_id = call.getInfo().callIdString

        def ring_timeout_fired() -> None:
            if leg.state == "ringing" and not leg.ended_by_us:
                leg.ended_by_us = True
                self._safe_hangup(leg.call, 0)
                self._end(leg)
                self._emit(
                    leg_id,
                    MediaEventKind.NO_ANSWER,
                    sip_code=408,
                    cause="ring_timeout",
                    sip_call_id=leg.sip_call_id,
                )

        self._after(ring_timeout, ring_timeout_fired)

    # -- inbound --------------------------------------------------------------------------

    def _incoming(self, acc: Any, call_id: int, rdata: Any) -> None:
        call = _Call(self, acc, call_id)
        self._alive.add(call)
        # PJSUA itself answers 486 to INVITEs beyond ``max_calls`` before they get here.
        if self._stopping or self._active_calls() >= self.max_calls:
            self._safe_hangup(call, 503)
            return
        info = call.getInfo()
        token = f"inv-{call_id}-{next(self._seq)}"
        src = str(rdata.srcAddress)
        host, _, port = src.rpartition(":")
        message = str(rdata.wholeMsg)
        first_line = message.split("\r\n", 1)[0]
        body = message.partition("\r\n\r\n")[2]
        self._pending[token] = call
        call.token = token
        self._on_event(
            SipInvite(
                token=token,
                sip_call_id=str(info.callIdString),
                source_host=host.strip("[]"),
                source_port=int(port) if port.isdigit() else 0,
                request_user=_user(first_line),
                to_user=_user(str(info.localUri)),
                from_user=_user(str(info.remoteUri)),
                transport=_rx_transport(rdata),
                srtp_offered=_sdp_has_srtp(body),
            )
        )

    def claim(self, token: str, leg_id: str, ring_timeout: float) -> None:
        """Take an INVITE as leg ``leg_id``: 180 Ringing, and 480 if nobody answers in time."""
        call = self._pending.pop(token, None)
        if call is None:
            raise LegNotFound("The caller hung up before the call could be taken.")
        leg = _Leg(leg_id=leg_id, direction="inbound", call=call)
        call.leg = leg
        self.legs[leg_id] = leg
        self.graph.add_leg(leg_id)
        leg.sip_call_id = str(call.getInfo().callIdString)
        prm = pj.CallOpParam()
        prm.statusCode = 180
        call.answer(prm)

        def caller_gives_up() -> None:
            if leg.state == "ringing" and not leg.ended_by_us:
                leg.ended_by_us = True
                self._safe_hangup(leg.call, 480)
                self._end(leg)
                self._emit(leg_id, MediaEventKind.NO_ANSWER, sip_code=480, cause="ring_timeout")

        self._after(ring_timeout, caller_gives_up)

    def refuse(self, token: str, code: int, reason: str = "") -> None:
        call = self._pending.pop(token, None)
        if call is not None:
            self._safe_hangup(call, code, reason)

    def answer(self, leg_id: str) -> None:
        leg = self._leg(leg_id)
        if leg.direction != "inbound" or leg.state != "ringing":
            return
        prm = pj.CallOpParam()
        prm.statusCode = 200
        leg.call.answer(prm)
        self._connected(leg)

    def reject(self, leg_id: str, code: int) -> None:
        leg = self._leg(leg_id)
        leg.ended_by_us = True
        self._safe_hangup(leg.call, code)
        self._end(leg)

    def hangup(self, leg_id: str) -> bool:
        """End the leg; True when its live audio tap still has audio to deliver (a
        ``TapClosed`` follows the last of it)."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            return False
        leg.ended_by_us = True
        self._final_stats(leg)
        self._safe_hangup(leg.call, 0)
        self._end(leg)
        return leg_id in self._taps

    @staticmethod
    def _safe_hangup(call: Any, code: int, reason: str = "") -> None:
        if call is None:
            return
        prm = pj.CallOpParam()
        if code:
            prm.statusCode = code
        if reason:
            prm.reason = reason
        with contextlib.suppress(Exception):
            call.hangup(prm)

    # -- pjsua callbacks ------------------------------------------------------------------

    def _on_state(self, call: Any) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        info = call.getInfo()
        state, code = info.state, int(info.lastStatusCode)
        if state == pj.PJSIP_INV_STATE_DISCONNECTED and call in self._alive:
            self._alive.discard(call)
            self._graveyard.append(call)  # dropped after this callback returns
            if leg is not None:
                self._final_stats(leg)
        if leg is None:
            if state == pj.PJSIP_INV_STATE_DISCONNECTED:
                token = getattr(call, "token", None)
                if token is not None:
                    self._pending.pop(token, None)
            return
        if state == pj.PJSIP_INV_STATE_EARLY and leg.direction == "outbound":
            if not leg.ringing_sent and leg.state == "ringing":
                leg.ringing_sent = True
                self._emit(
                    leg.leg_id,
                    MediaEventKind.RINGING,
                    sip_code=code or 180,
                    sip_call_id=leg.sip_call_id,
                )
        elif state == pj.PJSIP_INV_STATE_CONFIRMED:
            if leg.direction == "outbound" and not _audio_negotiated(info):
                # The far end answered with SDP we cannot take (RTP to a mandatory SRTP
                # offer, no common codec): PJSUA is already hanging up; not an answer.
                leg.media_failed = True
                return
            if leg.direction == "outbound" and leg.state == "ringing" and not leg.ended_by_us:
                self._connected(leg)
                self._emit(
                    leg.leg_id,
                    MediaEventKind.ANSWERED,
                    sip_code=200,
                    sip_call_id=leg.sip_call_id,
                )
            self._schedule_stats(leg)
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            was = leg.state
            self._end(leg)
            leg.call = call.leg = None  # the pj call is gone; timers may still hold the leg
            if leg.ended_by_us:
                return
            if was == "connected":
                # After the last of its live audio, so the transcript has it all.
                self._emit_after_audio(leg.leg_id, MediaEventKind.HANGUP, cause="far_end_hangup")
            elif leg.direction == "inbound":
                self._emit(leg.leg_id, MediaEventKind.CANCELLED, sip_code=487)
            else:
                kind, data = self._outbound_failure(leg, code, str(info.lastReason))
                self._emit(leg.leg_id, kind, **data, sip_call_id=leg.sip_call_id)

    def _outbound_failure(
        self, leg: _Leg, code: int, reason: str
    ) -> tuple[MediaEventKind, dict[str, Any]]:
        if leg.media_failed or 200 <= code < 300:
            # Answered, but not with media we take: reported as if refused with 488.
            srtp_missing = leg.encryption == "tls_srtp" and leg.answer_srtp is False
            cause = "srtp_refused" if srtp_missing else "media_failed"
            log.warning("the answer's SDP was refused (%s)", cause, extra={"call_id": leg.leg_id})
            return MediaEventKind.FAILED, {"sip_code": 488, "cause": cause}
        kind, data = _outbound_failure(code)
        if leg.encryption != "none" and code == 503 and _TLS_FAILURE.search(reason):
            # PJSIP answers itself when the TLS handshake or the certificate check fails;
            # say so rather than leave a bare 503.
            data["cause"] = "tls_failed"
            log.warning("TLS to the trunk failed: %s", reason, extra={"call_id": leg.leg_id})
        return kind, data

    def _on_tsx(self, call: Any, prm: Any) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        if leg is None or leg.direction != "outbound":
            return
        try:
            event = prm.e.body.tsxState
            tsx = event.tsx
            if str(tsx.method) != "INVITE":
                return
            status = int(tsx.statusCode)
            if status == 100 and not leg.ringing_sent:
                leg.ringing_sent = True
                self._emit(
                    leg.leg_id, MediaEventKind.RINGING, sip_code=100, sip_call_id=leg.sip_call_id
                )
            elif 200 <= status < 300 and leg.answer_srtp is None:
                body = str(event.src.rdata.wholeMsg).partition("\r\n\r\n")[2]
                if body:
                    leg.answer_srtp = _sdp_has_srtp(body)
        except Exception:  # not a transaction event we can read
            return

    def _on_media(self, call: Any) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        if leg is None or leg.state == "ended":
            return
        try:
            media = call.getAudioMedia(-1)
        except Exception:
            return
        port = int(media.getPortId())
        if port != leg.media_port:
            self._drop_port(leg.media_port)
            leg.media, leg.media_port = media, port
            self._ports[port] = media
        self._reconcile()

    def _on_dtmf(self, call: Any, digit: str, method: int) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        if leg is None or leg.state != "connected":
            return
        via = "sip_info" if method == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc4733"
        self._emit(leg.leg_id, MediaEventKind.DTMF, digit=str(digit), method=via)

    def _on_sdp_created(self, call: Any, prm: Any) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        if leg is None or not leg.codecs:
            return
        sdp = str(prm.sdp.wholeSdp)
        rewritten = prefer_codecs(sdp, list(leg.codecs))
        if rewritten != sdp:
            prm.sdp.wholeSdp = rewritten

    def _on_stream_destroyed(self, call: Any) -> None:
        leg: _Leg | None = getattr(call, "leg", None)
        if leg is not None:
            self._final_stats(leg)
            self._drop_port(leg.media_port)
            leg.media = leg.media_port = None

    def _end(self, leg: _Leg) -> None:
        """The leg is over: its audio leaves the graph and its recording is closed."""
        if leg.state == "ended":
            return
        leg.state = "ended"
        self._stop_players(leg)
        rec = self._recs.get(leg.leg_id)
        if rec is not None:
            self._close_rec(rec)
        self._close_tap(leg.leg_id)
        self.graph.remove_leg(leg.leg_id)
        self._drop_port(leg.media_port)
        leg.media = leg.media_port = None
        self._reconcile()
        self._forget(leg)

    def _forget(self, leg: _Leg) -> None:
        leg.state = "ended"
        if self.legs.get(leg.leg_id) is leg:
            del self.legs[leg.leg_id]

    # -- audio routing ------------------------------------------------------------------

    def _sources(self, party: str) -> list[int]:
        leg = self.legs.get(leg_of(party))
        if leg is None:
            return []
        if party.endswith(OPERATOR):
            # A prompt speaks over the looped audio: hold music pauses for an announcement.
            player = leg.prompt if leg.prompt is not None else leg.audio
            return [int(player.getPortId())] if player is not None else []
        return [leg.media_port] if leg.media_port is not None else []

    def _sinks(self, party: str) -> list[int]:
        if party.endswith(OPERATOR):
            return []  # an AI agent would listen here; nothing to connect yet
        leg = self.legs.get(party)
        return [leg.media_port] if leg is not None and leg.media_port is not None else []

    def _channel_sources(self, leg_id: str) -> tuple[list[int], list[int]]:
        """What a leg carries, as bridge sources: its far end (while received), and what
        our side sends it (prompts, audio, the bridged or conferenced parties, a supervisor
        who whispers or barges), with hold and mute applied."""
        far = self._sources(leg_id) if self.graph.far_end_audible(leg_id) else []
        near = [s for sp in self.graph.speakers_heard_by(leg_id) for s in self._sources(sp)]
        return far, near

    def _rec_links(self) -> set[tuple[int, int]]:
        """Connections into recorders: recordings and live audio taps. A silent source
        keeps each recorder ticking, so its file runs in step with the clock."""
        wanted: set[tuple[int, int]] = set()
        silence = int(self._silence.getPortId()) if self._silence is not None else None
        listeners: list[tuple[str, int, int]] = []  # (leg, port for far end, port for ours)
        for rec in self._recs.values():
            if rec.closed:
                continue
            ports = [int(r.getPortId()) for r in rec.recorders]
            if silence is not None:
                wanted |= {(silence, p) for p in ports}
            if rec.owner.startswith("room:"):
                room = self.graph.rooms.get(rec.owner[5:])
                members = room.members - room.muted if room is not None else set()
                for member in members:
                    if self.graph.far_end_audible(member):
                        wanted |= {(s, ports[0]) for s in self._sources(member)}
                continue
            listeners.append((rec.owner, ports[0], ports[-1]))  # mono: one port for both
        for tap in self._taps.values():
            segment = tap.live
            if segment is None or not segment.recorders:
                continue
            caller, agent = (int(r.getPortId()) for r in segment.recorders)
            if silence is not None:
                wanted |= {(silence, caller), (silence, agent)}
            listeners.append((tap.leg_id, caller, agent))
        for leg_id, far_port, near_port in listeners:
            far, near = self._channel_sources(leg_id)
            wanted |= {(s, far_port) for s in far} | {(s, near_port) for s in near}
        return wanted

    def _reconcile(self) -> None:
        wanted = self.graph.links(self._sources, self._sinks) | self._rec_links()
        for src, dst in self._links - wanted:
            a, b = self._ports.get(src), self._ports.get(dst)
            if a is not None and b is not None:
                with contextlib.suppress(Exception):
                    a.stopTransmit(b)
        added: set[tuple[int, int]] = set()
        for src, dst in wanted - self._links:
            a, b = self._ports.get(src), self._ports.get(dst)
            if a is None or b is None:
                continue
            try:
                a.startTransmit(b)
                added.add((src, dst))
            except Exception:
                log.warning("could not connect audio ports %s -> %s", src, dst)
        self._links = (self._links & wanted) | added

    def _drop_port(self, port: int | None) -> None:
        """Forget a port PJSUA is removing (its ids are reused, so stale links must go)."""
        if port is None:
            return
        self._ports.pop(port, None)
        self._links = {link for link in self._links if port not in link}

    def _release(self, media: Any) -> None:
        if media is None:
            return
        port = int(media.getPortId())
        for src, dst in [link for link in self._links if port in link]:
            a, b = self._ports.get(src), self._ports.get(dst)
            if a is not None and b is not None:
                with contextlib.suppress(Exception):
                    a.stopTransmit(b)
        self._drop_port(port)
        self._graveyard.append(media)

    def bridge(self, leg_a: str, leg_b: str) -> None:
        self._leg(leg_a), self._leg(leg_b)
        self.graph.bridge(leg_a, leg_b)
        self._reconcile()

    def unbridge(self, leg_a: str, leg_b: str) -> None:
        self.graph.unbridge(leg_a, leg_b)
        self._reconcile()

    def hold(self, leg_id: str, on: bool) -> None:
        leg = self._leg(leg_id)
        state = self.graph.add_leg(leg_id)
        if state.held == on:
            return
        state.held = on
        prm = pj.CallOpParam(True)
        if on:
            leg.call.setHold(prm)
        else:
            prm.opt.flag = pj.PJSUA_CALL_UNHOLD
            leg.call.reinvite(prm)
        self._reconcile()

    def mute(self, leg_id: str, on: bool) -> None:
        self._leg(leg_id)
        self.graph.add_leg(leg_id).muted = on
        self._reconcile()

    def conference_join(self, room_id: str, leg_id: str, muted: bool) -> None:
        self._leg(leg_id)
        self.graph.conference_join(room_id, leg_id, muted=muted)
        self._reconcile()

    def conference_leave(self, room_id: str, leg_id: str) -> None:
        self.graph.conference_leave(room_id, leg_id)
        self._reconcile()

    def conference_mute(self, room_id: str, leg_id: str, on: bool) -> None:
        self.graph.conference_mute(room_id, leg_id, on)
        self._reconcile()

    def conference_end(self, room_id: str) -> None:
        self.graph.conference_end(room_id)
        rec = self._recs.get(f"room:{room_id}")
        if rec is not None:
            self._close_rec(rec)
        self._reconcile()

    def monitor(
        self, call_leg: str, agent_leg: str | None, supervisor_leg: str, mode: MonitorMode
    ) -> None:
        self._leg(call_leg), self._leg(supervisor_leg)
        self.graph.monitor(call_leg, agent_leg, supervisor_leg, mode)
        self._reconcile()

    def unmonitor(self, supervisor_leg: str) -> None:
        self.graph.unmonitor(supervisor_leg)
        self._reconcile()

    # -- prompts and audio files --------------------------------------------------------

    def codec_rate(self, leg_id: str) -> int:
        leg = self._leg(leg_id)
        try:
            return int(leg.call.getStreamInfo(0).codecClockRate) or CLOCK_RATE
        except Exception:
            return CLOCK_RATE

    def play_prompt(self, leg_id: str, path: Path, duration: float) -> None:
        leg = self._leg(leg_id)
        leg.prompts.append((path, duration))
        if leg.prompt is None:
            self._next_prompt(leg)

    def _next_prompt(self, leg: _Leg) -> None:
        self._release(leg.prompt)
        leg.prompt = None
        if leg.state == "ended" or not leg.prompts:
            self._reconcile()
            return
        path, duration = leg.prompts.popleft()
        player = pj.AudioMediaPlayer()
        player.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)
        self._ports[int(player.getPortId())] = player
        leg.prompt = player
        leg.prompt_ends = time.monotonic() + duration
        self._reconcile()

        def done() -> None:
            if leg.prompt is player:
                self._next_prompt(leg)

        self._after(duration, done)

    def play_audio(self, leg_id: str, path: Path, loop: bool) -> None:
        """A looped file (hold music) plays beside the prompts until ``stop_audio``; a clip
        played once (a beep) waits its turn behind the prompts already queued."""
        if not loop:
            with wave.open(str(path), "rb") as wav:
                seconds = wav.getnframes() / float(wav.getframerate())
            self.play_prompt(leg_id, path, seconds)
            return
        leg = self._leg(leg_id)
        self._release(leg.audio)
        player = pj.AudioMediaPlayer()
        player.createPlayer(str(path), 0)
        self._ports[int(player.getPortId())] = player
        leg.audio = player
        self._reconcile()

    def stop_prompts(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            return
        leg.prompts.clear()
        self._next_prompt(leg)  # releases the playing one; nothing is left to start

    def queued_audio_seconds(self, leg_id: str) -> float:
        """How long until the prompts and clips queued for the leg have all played."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended" or leg.prompt is None:
            return 0.0
        playing = max(0.0, leg.prompt_ends - time.monotonic())
        return playing + sum(seconds for _, seconds in leg.prompts)

    def stop_audio(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.audio is None:
            return
        self._release(leg.audio)
        leg.audio = None
        self._reconcile()

    def _stop_players(self, leg: _Leg) -> None:
        leg.prompts.clear()
        for player in (leg.prompt, leg.audio):
            self._release(player)
        leg.prompt = leg.audio = None

    # -- DTMF ----------------------------------------------------------------------------

    def send_dtmf(self, leg_id: str, digits: str) -> None:
        leg = self._leg(leg_id)
        leg.dtmf.extend(digits)
        if not leg.dtmf_busy:
            self._next_digit(leg)

    def _next_digit(self, leg: _Leg) -> None:
        if leg.state != "connected" or not leg.dtmf:
            leg.dtmf_busy = False
            leg.dtmf.clear()
            return
        leg.dtmf_busy = True
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
        prm.duration = DTMF_ON_MS
        prm.digits = leg.dtmf.popleft()
        try:
            leg.call.sendDtmf(prm)
        except Exception:
            log.warning("could not send DTMF", extra={"call_id": leg.leg_id})
        self._after(DTMF_STEP, lambda: self._next_digit(leg))

    # -- recording -----------------------------------------------------------------------

    def start_recording(self, owner: str, files: list[Path], dual: bool) -> None:
        if not owner.startswith("room:"):
            self._leg(owner)
        existing = self._recs.get(owner)
        if existing is not None and not existing.closed:
            return
        recorders = [self._new_recorder(path) for path in files]
        self._recs[owner] = _Rec(
            owner=owner, dual=dual, files=files, recorders=recorders, started=time.monotonic()
        )
        self._reconcile()

    def _new_recorder(self, path: Path) -> Any:
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        self._ports[int(recorder.getPortId())] = recorder
        return recorder

    def _close_rec(self, rec: _Rec) -> None:
        if rec.closed:
            return
        rec.closed = True
        for recorder in rec.recorders:
            self._release(recorder)
        rec.recorders.clear()  # the files are complete once PJSUA drops the recorders

    def stop_recording(self, owner: str) -> tuple[list[Path], bool]:
        rec = self._recs.pop(owner, None)
        if rec is None:
            raise LegNotFound(f"{owner} is not being recorded.")
        self._close_rec(rec)
        self._graveyard.clear()
        return rec.files, rec.dual

    # -- live audio taps ------------------------------------------------------------------

    def set_tap_dir(self, tap_dir: Path | None) -> None:
        """Start (or stop) tapping connected legs' audio for the live audio sink."""
        self._tap_dir = tap_dir
        for leg in list(self.legs.values()):
            if tap_dir is None:
                self._close_tap(leg.leg_id)
            elif leg.state == "connected":
                self._start_tap(leg)
        self._reconcile()

    def _connected(self, leg: _Leg) -> None:
        leg.state = "connected"
        self.graph.connect(leg.leg_id)
        self._start_tap(leg)
        self._reconcile()

    def _start_tap(self, leg: _Leg) -> None:
        if self._tap_dir is None or leg.leg_id in self._taps:
            return
        tap = LegTap(leg_id=leg.leg_id, directory=self._tap_dir)
        self._taps[leg.leg_id] = tap
        self._tap_segment(tap)
        if not self._tap_polling:
            self._tap_polling = True
            self._after(TAP_POLL, self._poll_taps)

    def _tap_segment(self, tap: LegTap) -> None:
        """Record the leg into a new pair of files (the caller's side, then ours)."""
        segment = tap.new_segment(time.time())
        try:
            for path in segment.files.values():
                segment.recorders.append(self._new_recorder(path))
        except Exception:
            log.exception("could not tap live audio", extra={"call_id": tap.leg_id})
            for recorder in segment.recorders:
                self._release(recorder)
            segment.recorders.clear()
            segment.released_at = time.monotonic()

    def _release_segment(self, tap: LegTap) -> None:
        segment = tap.live
        if segment is None:
            return
        for recorder in segment.recorders:
            self._release(recorder)  # PJSUA finishes the files on a later bridge tick
        segment.recorders.clear()
        segment.released_at = time.monotonic()

    def _close_tap(self, leg_id: str) -> None:
        """The leg stopped: no more audio is tapped; what was recorded is still delivered."""
        tap = self._taps.get(leg_id)
        if tap is None or not tap.open:
            return
        self._release_segment(tap)
        tap.open = False

    def _emit_after_audio(self, leg_id: str, kind: MediaEventKind, **data: Any) -> None:
        """Emit an event that must follow the leg's live audio: it rides on the tap's
        ``TapClosed`` (the adapter hands it on once that audio reached the audio sink)."""
        event = MediaEvent(leg_id=leg_id, kind=kind, data=data, at=datetime.now(UTC))
        tap = self._taps.get(leg_id)
        if tap is None:
            self._on_event(event)
        else:
            tap.held_events.append(event)

    def _poll_taps(self) -> None:
        now = time.monotonic()
        rotated = False
        for tap in list(self._taps.values()):
            live = tap.live
            if live is not None and time.time() - live.started >= TAP_SEGMENT_SECONDS:
                self._release_segment(tap)
                self._tap_segment(tap)
                rotated = True
            try:
                frames: list[AudioFrame] = tap.poll(now)
            except Exception:
                log.exception("live audio tap failed", extra={"call_id": tap.leg_id})
                self._release_segment(tap)
                tap.open = False
                tap.discard()
                frames = []
            for frame in frames:
                self._on_event(frame)
            if tap.drained:
                del self._taps[tap.leg_id]
                self._on_event(TapClosed(tap.leg_id, then=tuple(tap.held_events)))
        if rotated:
            self._reconcile()
        if self._taps:
            self._after(TAP_POLL, self._poll_taps)
        else:
            self._tap_polling = False

    # -- quality ----------------------------------------------------------------------------

    def _schedule_stats(self, leg: _Leg) -> None:
        def sample() -> None:
            if leg.state != "connected":
                return
            stats = _read_stats(leg)
            if stats is not None:
                self._emit(leg.leg_id, MediaEventKind.STATS, **stats, final=False)
            self._after(self.config.stats_interval, sample)

        self._after(self.config.stats_interval, sample)

    def _final_stats(self, leg: _Leg) -> None:
        if leg.stats_sent_final or leg.media_port is None:
            return
        stats = _read_stats(leg)
        if stats is not None:
            leg.stats_sent_final = True
            self._emit(leg.leg_id, MediaEventKind.STATS, **stats, final=True)

    def snapshot(self) -> dict[str, Any]:
        """Gauges for metrics and tests."""
        return {
            "active_calls": self._active_calls(),
            "max_calls": self.max_calls,
            "legs": {leg_id: leg.state for leg_id, leg in self.legs.items()},
            "links": len(self._links),
            # Bridge ports we hold (the silence source is always one of them).
            "ports": len(self._ports),
            "taps": len(self._taps),
        }


def _pjsua_max_calls(configured: int) -> int:
    """The concurrent calls PJSUA accepted after ``libInit``: ``uaConfig.maxCalls``, which
    PJSUA silently lowers to its compile-time ``PJSUA_MAX_CALLS``. The pjsua2-python wheel
    keeps pjproject's default of 4 (its docstring's "by default is 32" is stale). pjsua2 does
    not expose the value, so it is read from the extension's exported C API."""
    try:
        lib = ctypes.CDLL(pj._pjsua2.__file__, mode=os.RTLD_NOLOAD | os.RTLD_NOW)
        get_max = lib.pjsua_call_get_max_count
    except (AttributeError, OSError):
        log.warning("could not read PJSUA's call limit; assuming ORBIT_SIP_MAX_CALLS holds")
        return configured
    get_max.argtypes = []
    get_max.restype = ctypes.c_uint
    return min(configured, int(get_max()))


def _sdp_has_srtp(sdp: str) -> bool:
    """An SRTP audio profile (RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP) or SDES keys."""
    return bool(_SAVP.search(sdp)) or "a=crypto:" in sdp


def _audio_negotiated(info: Any) -> bool:
    """Whether SDP negotiation gave the call an audio stream (any hold state)."""
    bad = (pj.PJSUA_CALL_MEDIA_NONE, pj.PJSUA_CALL_MEDIA_ERROR)
    return any(m.type == pj.PJMEDIA_TYPE_AUDIO and m.status not in bad for m in info.media)


def _rx_transport(rdata: Any) -> str:
    """The transport PJSIP received ``rdata`` on: "udp", "tcp", "tls", or "" if unreadable.

    pjsua2 does not expose it, and a Via header is only the sender's claim, so it is read
    from the C structs: ``pjsip_rx_data`` starts with ``tp_info {pool, transport, ...}`` and
    ``pjsip_transport`` with its ``obj_name``, which PJSIP prefixes with the transport's kind
    (``udp%p``, ``tcps%p``/``tcpc%p``, ``tlss%p``/``tlsc%p``). Layouts unchanged since
    PJSIP 1.x; anything unexpected reads as "" (treated as not secure)."""
    try:
        address = int(rdata.pjRxData)
        pointer = ctypes.sizeof(ctypes.c_void_p)
        transport = ctypes.c_void_p.from_address(address + pointer).value
        name = ctypes.string_at(transport, 4) if transport else b""
    except (TypeError, ValueError, OSError):
        return ""
    return next((kind for kind in ("udp", "tcp", "tls") if name.startswith(kind.encode())), "")


def _direction(stat: Any) -> dict[str, Any]:
    packets, lost = int(stat.pkt), int(stat.loss)
    jitter = stat.jitterUsec
    return {
        "jitter_ms": round(float(jitter.mean) / 1000.0, 3) if jitter.n else 0.0,
        "max_jitter_ms": round(float(jitter.max) / 1000.0, 3) if jitter.n else 0.0,
        "packet_loss_pct": round(100.0 * lost / (packets + lost), 3) if packets + lost else 0.0,
        "packets": packets,
        "packets_lost": lost,
    }


def _read_stats(leg: _Leg) -> dict[str, Any] | None:
    """RTCP view of the leg: ``inbound`` is what we receive, ``outbound`` what the far end
    reports receiving from us (its receiver reports)."""
    try:
        stat = leg.call.getStreamStat(0)
        info = leg.call.getStreamInfo(0)
    except Exception:
        return None
    rtt = stat.rtcp.rttUsec
    return {
        "codec": str(info.codecName),
        "rtt_ms": round(float(rtt.mean) / 1000.0, 3) if rtt.n else None,
        "inbound": _direction(stat.rtcp.rxStat),
        "outbound": _direction(stat.rtcp.txStat),
    }


def _outbound_failure(code: int) -> tuple[MediaEventKind, dict[str, Any]]:
    if code in BUSY_CODES:
        return MediaEventKind.BUSY, {"sip_code": code}
    if code in NO_ANSWER_CODES:
        return MediaEventKind.NO_ANSWER, {"sip_code": code}
    return MediaEventKind.FAILED, {"sip_code": code or None, "cause": "sip_error"}


def _user(text: str) -> str:
    match = _USER.search(text)
    return match.group(1) if match else ""


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def onIncomingCall(self, prm: Any) -> None:
        try:
            self._engine._incoming(self, prm.callId, prm.rdata)
        except Exception:
            log.exception("incoming INVITE failed")


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, engine: Engine, acc: Any, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(acc, call_id)
        self._engine = engine
        self.leg: _Leg | None = None
        self.token: str | None = None

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(self, *args)
        except Exception:
            log.exception("SIP callback failed")

    def onCallState(self, prm: Any) -> None:
        self._guard(self._engine._on_state)

    def onCallTsxState(self, prm: Any) -> None:
        self._guard(self._engine._on_tsx, prm)

    def onCallMediaState(self, prm: Any) -> None:
        self._guard(self._engine._on_media)

    def onDtmfDigit(self, prm: Any) -> None:
        self._guard(self._engine._on_dtmf, prm.digit, prm.method)

    def onCallSdpCreated(self, prm: Any) -> None:
        self._guard(self._engine._on_sdp_created, prm)

    def onStreamDestroyed(self, prm: Any) -> None:
        self._guard(self._engine._on_stream_destroyed)
