"""A test phone: a second PJSUA endpoint in its own process (PJSUA is one per process).

    python sip_phone.py --port 26000 --tone 440 --record /tmp/heard.wav [--answer] [--user +1...]
        [--tls-port 26001 --cert phone.pem --key phone.key] [--srtp optional]
    python sip_phone.py --port 26000 --play speech.wav [--loop] ...

It plays a steady tone of ``--tone`` Hz into every call (0: silence), or with ``--play`` a WAV
file (once, or over and over with ``--loop``), records what it hears to ``--record`` (mono
WAV, 8 kHz), answers incoming calls when ``--answer`` is given, calls out as ``--user`` (the
caller id a callee sees; default ``phone``), and prints one JSON line per event on stdout:
{"event": "ready"}, {"event": "state", "state": ...}, {"event": "dtmf", "digit": ...},
{"event": "playing", "seconds": ...}, {"event": "media", "status": "active" | "remote_hold" |
...} (on every SDP negotiation: a re-INVITE with a=sendonly shows as remote_hold), and for
each INVITE it receives {"event": "invite", "via", "transport", "request_uri", "profile",
"crypto"}: the top Via's sent-protocol, the transport PJSIP took it from (udp, tcp, tls), the
Request-URI, the SDP audio profile (RTP/AVP or RTP/SAVP) and whether the SDP carried SDES keys
(a=crypto). ``--tls-port`` adds a TLS listener with ``--cert``/``--key`` (``--sips``: its
Contact is sips:, for sips: dialogs); ``--srtp`` is its SRTP policy (disabled, optional,
mandatory; SDES). PHONE_LOG=5 in its environment prints PJSIP's log (lines that are not JSON
are ignored by sip_support). It reads JSON commands on stdin: {"cmd": "call", "uri"},
{"cmd": "dtmf", "digits"}, {"cmd": "play", "path", "loop": false} (from now on, calls hear
that file instead), {"cmd": "record", "path"} (go on recording into a new file, so a test can
measure one phase of a call at a time; answered by {"event": "recording", "path"}),
{"cmd": "hangup"}, {"cmd": "quit"}.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import queue
import re
import sys
import threading
import time
import wave
from typing import Any

import pjsua2 as pj

RATE = 8000
MEDIA_STATUS = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}
SRTP = {
    "disabled": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}


def say(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Phone:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = False
        cfg.medConfig.threadCnt = 0
        cfg.medConfig.clockRate = RATE
        cfg.medConfig.sndClockRate = RATE
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        cfg.logConfig.level = int(os.environ.get("PHONE_LOG", "0"))
        cfg.logConfig.consoleLevel = int(os.environ.get("PHONE_LOG", "0"))
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        tc = pj.TransportConfig()
        tc.port = args.port
        tc.boundAddress = "127.0.0.1"
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
        if args.tls_port:
            tls = pj.TransportConfig()
            tls.port = args.tls_port
            tls.boundAddress = "127.0.0.1"
            if args.cert:
                tls.tlsConfig.certFile = args.cert
                tls.tlsConfig.privKeyFile = args.key
            if args.ca:
                tls.tlsConfig.CaListFile = args.ca
            self.ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tls)
        self.ep.libStart()
        self.acc = _Account(self)
        ac = pj.AccountConfig()
        ac.idUri = f"sip:{args.user}@127.0.0.1:{args.port}"
        ac.regConfig.registerOnAdd = False
        ac.mediaConfig.transportConfig.port = args.rtp_port
        ac.mediaConfig.transportConfig.portRange = 100
        ac.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        if args.sips:
            # A sips: dialog needs a sips: Contact (PJSUA writes sip:;transport=TLS).
            ac.sipConfig.contactForced = f"<sips:phone@127.0.0.1:{args.tls_port}>"
        ac.mediaConfig.srtpUse = SRTP[args.srtp]
        ac.mediaConfig.srtpSecureSignaling = 0
        self.acc.create(ac)
        self.tone = pj.ToneGenerator()
        self.tone.createToneGenerator(RATE, 1)
        if args.tone:
            desc = pj.ToneDesc()
            desc.freq1, desc.freq2, desc.on_msec, desc.off_msec = args.tone, 0, 10000, 0
            desc.volume = 0
            tones = pj.ToneDescVector()
            tones.append(desc)
            self.tone.play(tones, True)
        self.silence = pj.ToneGenerator()
        self.silence.createToneGenerator(RATE, 1)
        self.source: Any = self.tone  # what every call hears from this phone
        self.player: Any = None
        if args.play:
            self.source = self.play(args.play, args.loop)
        self.recorder: Any = None
        self.retired: list[Any] = []  # earlier recorders: their WAVs close at libDestroy
        self.medias: dict[int, Any] = {}  # call id -> its audio media
        if args.record:
            self.record_to(args.record)
        self.calls: list[Any] = []
        self.commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()

    def record_to(self, path: str) -> None:
        """Record from now on into ``path`` (the previous file stops growing)."""
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(path)
        self.silence.startTransmit(recorder)
        for media in self.medias.values():
            media.startTransmit(recorder)
        if self.recorder is not None:
            for media in self.medias.values():
                media.stopTransmit(self.recorder)
            self.silence.stopTransmit(self.recorder)
            self.retired.append(self.recorder)
        self.recorder = recorder

    def play(self, path: str, loop: bool) -> Any:
        player = pj.AudioMediaPlayer()
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        self.player = player  # keep it alive while calls hear it
        with wave.open(path, "rb") as wav:
            say(event="playing", seconds=wav.getnframes() / wav.getframerate(), loop=loop)
        return player

    def switch(self, source: Any) -> None:
        old, self.source = self.source, source
        for media in self.medias.values():
            old.stopTransmit(media)
            source.startTransmit(media)

    def media_up(self, call: Any) -> None:
        info = call.getInfo()
        for media_info in info.media:
            say(event="media", status=MEDIA_STATUS.get(media_info.status, str(media_info.status)))
        try:
            media = call.getAudioMedia(-1)
        except Exception:
            return
        self.medias[call.getId()] = media
        self.source.startTransmit(media)
        if self.recorder is not None:
            media.startTransmit(self.recorder)

    def run(self) -> None:
        say(event="ready")
        running = True
        while running:
            self.ep.libHandleEvents(10)
            while True:
                try:
                    cmd = self.commands.get_nowait()
                except queue.Empty:
                    break
                running = self.handle(cmd)
        self.shutdown()

    def handle(self, cmd: dict[str, Any]) -> bool:
        name = cmd.get("cmd")
        if name == "call":
            call = _Call(self, self.acc)
            self.calls.append(call)
            call.makeCall(cmd["uri"], pj.CallOpParam(True))
        elif name == "dtmf":
            for call in self.calls:
                if call.isActive():
                    call.dialDtmf(cmd["digits"])
        elif name == "play":
            old_player = self.player
            self.switch(self.play(cmd["path"], bool(cmd.get("loop", False))))
            del old_player  # after the switch: no call hears it any more
        elif name == "hangup":
            for call in self.calls:
                if call.isActive():
                    call.hangup(pj.CallOpParam())
        elif name == "record":
            self.record_to(cmd["path"])
            say(event="recording", path=cmd["path"])
        elif name == "quit":
            return False
        return True

    def shutdown(self) -> None:
        for call in self.calls:
            if call.isActive():
                call.hangup(pj.CallOpParam())
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and any(c.isActive() for c in self.calls):
            self.ep.libHandleEvents(10)
        self.calls.clear()
        self.medias.clear()
        self.recorder = None  # closes the WAVs
        self.retired.clear()
        self.tone = self.silence = self.source = self.player = None
        self.acc.shutdown()
        self.acc = None
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
        say(event="bye")
        # The recording is closed; skip interpreter teardown, where the wheel's leftover
        # Call proxies would assert against the destroyed library.
        os._exit(0)


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm: Any) -> None:
        say(event="invite", **describe_invite(prm.rdata))
        call = _Call(self.phone, self, prm.callId)
        self.phone.calls.append(call)
        op = pj.CallOpParam()
        op.statusCode = 200 if self.phone.args.answer else 180
        call.answer(op)


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, phone: Phone, acc: Any, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(acc, call_id)
        self.phone = phone

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.phone.medias.pop(info.id, None)
        say(event="state", state=info.stateText, code=info.lastStatusCode)

    def onCallMediaState(self, prm: Any) -> None:
        self.phone.media_up(self)

    def onDtmfDigit(self, prm: Any) -> None:
        say(event="dtmf", digit=prm.digit)


def describe_invite(rdata: Any) -> dict[str, Any]:
    msg = str(rdata.wholeMsg)
    head, _, body = msg.partition("\r\n\r\n")
    via = re.search(r"^(?:Via|v)\s*:\s*(SIP/2\.0/[A-Za-z]+)", head, re.IGNORECASE | re.MULTILINE)
    audio = re.search(r"^m=audio \d+ (\S+)", body, re.MULTILINE)
    return {
        "via": via.group(1).upper() if via else "",
        "transport": _transport_kind(rdata),
        "request_uri": head.split("\r\n", 1)[0].split(" ")[1],
        "profile": audio.group(1) if audio else "",
        "crypto": "\na=crypto:" in f"\n{body}".replace("\r\n", "\n"),
    }


def _transport_kind(rdata: Any) -> str:
    """The transport PJSIP received the message on, independent of what its Via claims:
    rdata->tp_info.transport (after the pool pointer), whose obj_name starts udp/tcp/tls."""
    try:
        address = int(rdata.pjRxData)
        transport = ctypes.c_void_p.from_address(address + ctypes.sizeof(ctypes.c_void_p)).value
        name = ctypes.string_at(transport, 4).decode("ascii", "replace") if transport else ""
    except (TypeError, ValueError, OSError):
        return ""
    return next((kind for kind in ("udp", "tcp", "tls") if name.startswith(kind)), "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rtp-port", type=int, required=True)
    parser.add_argument("--tone", type=int, default=0)
    parser.add_argument("--play", default="", help="a WAV file to play instead of the tone")
    parser.add_argument("--loop", action="store_true", help="play --play over and over")
    parser.add_argument("--record", default="")
    parser.add_argument("--answer", action="store_true")
    parser.add_argument("--user", default="phone")
    parser.add_argument("--tls-port", type=int, default=0)
    parser.add_argument("--cert", default="")
    parser.add_argument("--key", default="")
    parser.add_argument("--ca", default="")
    parser.add_argument("--srtp", choices=sorted(SRTP), default="disabled")
    parser.add_argument("--sips", action="store_true")
    args = parser.parse_args()
    phone = Phone(args)

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                phone.commands.put(json.loads(line))
        phone.commands.put({"cmd": "quit"})

    threading.Thread(target=read_stdin, daemon=True).start()
    phone.run()


if __name__ == "__main__":
    main()
