"""A test phone: a second PJSUA endpoint in its own process (PJSUA is one per process).

    python sip_phone.py --port 26000 --tone 440 --record /tmp/heard.wav [--answer]
    python sip_phone.py --port 26000 --play speech.wav [--loop] ...

It plays a steady tone of ``--tone`` Hz into every call (0: silence), or with ``--play`` a WAV
file (once, or over and over with ``--loop``), records what it hears to ``--record`` (mono
WAV, 8 kHz), answers incoming calls when ``--answer`` is given, and prints one JSON line per
event on stdout: {"event": "ready"}, {"event": "state", "state": ...},
{"event": "dtmf", "digit": ...}, {"event": "playing", "seconds": ...}. It reads JSON commands
on stdin: {"cmd": "call", "uri"}, {"cmd": "dtmf", "digits"}, {"cmd": "play", "path",
"loop": false} (from now on, calls hear that file instead), {"cmd": "hangup"}, {"cmd": "quit"}.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
import wave
from typing import Any

import pjsua2 as pj

RATE = 8000


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
        cfg.logConfig.level = 0
        cfg.logConfig.consoleLevel = 0
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        tc = pj.TransportConfig()
        tc.port = args.port
        tc.boundAddress = "127.0.0.1"
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
        self.ep.libStart()
        self.acc = _Account(self)
        ac = pj.AccountConfig()
        ac.idUri = f"sip:phone@127.0.0.1:{args.port}"
        ac.regConfig.registerOnAdd = False
        ac.mediaConfig.transportConfig.port = args.rtp_port
        ac.mediaConfig.transportConfig.portRange = 100
        ac.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
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
        if args.record:
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(args.record)
            self.silence.startTransmit(self.recorder)
        self.calls: list[Any] = []
        self.commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()

    def play(self, path: str, loop: bool) -> Any:
        player = pj.AudioMediaPlayer()
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        self.player = player  # keep it alive while calls hear it
        with wave.open(path, "rb") as wav:
            say(event="playing", seconds=wav.getnframes() / wav.getframerate(), loop=loop)
        return player

    def _medias(self) -> list[Any]:
        medias = []
        for call in self.calls:
            try:
                if call.isActive() and call.hasMedia():
                    medias.append(call.getAudioMedia(-1))
            except Exception:
                continue
        return medias

    def switch(self, source: Any) -> None:
        old, self.source = self.source, source
        for media in self._medias():
            old.stopTransmit(media)
            source.startTransmit(media)

    def media_up(self, call: Any) -> None:
        try:
            media = call.getAudioMedia(-1)
        except Exception:
            return
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
        self.recorder = None  # closes the WAV
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
        say(event="state", state=info.stateText, code=info.lastStatusCode)

    def onCallMediaState(self, prm: Any) -> None:
        self.phone.media_up(self)

    def onDtmfDigit(self, prm: Any) -> None:
        say(event="dtmf", digit=prm.digit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rtp-port", type=int, required=True)
    parser.add_argument("--tone", type=int, default=0)
    parser.add_argument("--play", default="", help="a WAV file to play instead of the tone")
    parser.add_argument("--loop", action="store_true", help="play --play over and over")
    parser.add_argument("--record", default="")
    parser.add_argument("--answer", action="store_true")
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
