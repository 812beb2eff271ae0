"""Speech-to-text accuracy and speed through a real (simulated) call.

24 sentences are spoken with espeak-ng into one call at the 8 kHz telephone rate, caller and
agent taking turns; the live path (VAD -> Whisper -> SSE) and the post-call path (each channel
of the dual-channel recording) transcribe them. The baseline, measured in the same run, is
the same model on the same sentences as wideband 16 kHz audio with no call in between.

Prints word error rate (WER) and real-time factor (RTF: processing seconds per second of
speech; below 1 is faster than real time), and each as a ratio to the baseline.

    .venv/bin/python bench/stt_accuracy.py
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from orbit_voice.app import create_app  # noqa: E402
from orbit_voice.config import Settings  # noqa: E402
from orbit_voice.kit.clock import FakeClock  # noqa: E402
from orbit_voice.migrate import upgrade  # noqa: E402
from orbit_voice.orgs import service as orgs  # noqa: E402

SENTENCES = [
    "Hello, I am calling about my internet connection.",
    "Thank you for calling, how can I help you today?",
    "My internet connection keeps dropping every evening.",
    "I am sorry to hear that, let me check your line.",
    "It started last week after the storm.",
    "I can see some errors on the line from your street.",
    "Can you send a technician to my house?",
    "The technician will call you back tomorrow morning.",
    "What time will the technician arrive?",
    "Between nine and twelve in the morning.",
    "I was also charged twice for the same order last month.",
    "I will refund the duplicate charge today.",
    "Please send me a confirmation email.",
    "I will send you a confirmation email by the end of the day.",
    "How long does the refund take?",
    "The refund takes three to five business days.",
    "Can I change my payment method to a credit card?",
    "Yes, you can change it in your account settings.",
    "I would like to upgrade my plan to the faster one.",
    "The faster plan costs ten dollars more each month.",
    "That sounds good, please go ahead with the upgrade.",
    "Your plan is upgraded and your internet will be faster tonight.",
    "Thank you so much for your help today.",
    "You are welcome, have a wonderful evening.",
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(reference))


def corpus_wer(references: list[str], hypothesis: str) -> float:
    ref = [w for s in references for w in words(s)]
    return wer(ref, words(hypothesis))


def baseline(speech: Any) -> tuple[float, float, float]:
    """Wideband (16 kHz) espeak-ng audio straight into the model: (WER, RTF, seconds)."""
    from orbit_voice.speech.audio import decode

    engine = speech.engine
    texts, busy, audio_seconds = [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, sentence in enumerate(SENTENCES):
            path = Path(tmp) / f"{i}.wav"
            subprocess.run(
                ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), sentence], check=True
            )
            audio = decode(path)
            audio_seconds += audio.size / 16000
            started = time.perf_counter()
            texts.append(" ".join(s.text for s in engine.transcribe(audio, "en-US", vad=True)))
            busy += time.perf_counter() - started
    return corpus_wer(SENTENCES, " ".join(texts)), busy / audio_seconds, audio_seconds


async def through_a_call(app: Any, clock: FakeClock, key: str) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"X-API-Key": key}
    ) as api:
        await api.post("/v1/voice/numbers", json={"number": "+12025551234"})
        r = await api.post(
            "/v1/voice/calls", json={"to": "+14155552671", "from": "+12025551234", "record": True}
        )
        call_id = r.json()["data"]["id"]
        await clock.advance(2)
        speech_seconds, live_busy = 0.0, 0.0
        for i, sentence in enumerate(SENTENCES):
            speaker = "caller" if i % 2 == 0 else "agent"
            r = await api.post(
                f"/v1/voice/simulator/calls/{call_id}/speech",
                json={"speaker": speaker, "text": sentence},
            )
            seconds = r.json()["data"]["duration_seconds"]
            speech_seconds += seconds
            # Time runs on the fake clock; what takes real time here is the live path's
            # voice activity detection and recognition of the utterance as it ends.
            started = time.perf_counter()
            await clock.advance(seconds + 1.5)
            await app.state.speech.hub.wait_idle()
            live_busy += time.perf_counter() - started
        await api.post(f"/v1/voice/calls/{call_id}/hangup")
        live = await api.get(f"/v1/voice/calls/{call_id}/transcript/stream")
        live_text = " ".join(
            line.split('"text":"', 1)[1].split('","ts"', 1)[0]
            for line in live.text.splitlines()
            if line.startswith("data:")
        )
        started = time.perf_counter()
        while await app.state.speech.worker.run_due():
            pass
        post_busy = time.perf_counter() - started
        transcript = (await api.get(f"/v1/voice/calls/{call_id}/transcript")).json()["data"]
        post_text = " ".join(s["text"] for s in transcript["segments"])
        return {
            "speech_seconds": speech_seconds,
            "live_wer": corpus_wer(SENTENCES, live_text),
            "live_rtf": live_busy / speech_seconds,
            "post_wer": corpus_wer(SENTENCES, post_text),
            "post_rtf": post_busy / speech_seconds,
            "live_utterances": float(live.text.count("data:")),
        }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        asyncio.run(run(tmp, url))


async def run(tmp: str, url: str) -> None:
    if True:
        settings = Settings(
            environment="test",
            database_url=url,
            data_dir=Path(tmp) / "data",
            webhooks_enabled=False,
            live_media_backend="none",
            signing_secret="bench-signing-secret-0123456789abcdef",
            encryption_key="bench-encryption-key-0123456789abcdef",
            softphone_jwt_secret="bench-softphone-secret-0123456789abcdef",
        )
        clock = FakeClock()
        app = create_app(settings, clock=clock, run_workers=False)
        async with app.router.lifespan_context(app):
            async with app.state.sessionmaker() as session:
                org = await orgs.get_or_create_org(session, "bench", clock.now())
                key = await orgs.create_key(
                    session, org, test=True, scopes=orgs.DEFAULT_SCOPES, now=clock.now()
                )
                await session.commit()
            speech = app.state.speech
            speech.engine.transcribe(np.zeros(16000, "float32"), "en-US", vad=False)  # warm up
            base_wer, base_rtf, base_seconds = baseline(speech)
            call = await through_a_call(app, clock, key)
    print(
        f"model: {speech.engine.model_ref} ({speech.engine.device}, {speech.engine.compute_type})"
    )
    print(
        f"{len(SENTENCES)} sentences, {call['speech_seconds']:.1f} s of speech through the call; "
        f"{int(call['live_utterances'])} live utterances"
    )
    print(f"{'path':<34}{'WER':>8}{'x base':>9}{'RTF':>9}{'x base':>9}")
    rows = [
        ("baseline: 16 kHz, no call", base_wer, base_rtf),
        ("live: 8 kHz call, VAD -> STT -> SSE", call["live_wer"], call["live_rtf"]),
        ("post-call: 8 kHz dual-channel", call["post_wer"], call["post_rtf"]),
    ]
    for name, w, rtf in rows:
        ratio_w = w / base_wer if base_wer else float("inf")
        print(f"{name:<34}{w:>8.3f}{ratio_w:>9.2f}{rtf:>9.3f}{rtf / base_rtf:>9.2f}")
    print(f"(baseline audio: {base_seconds:.1f} s)")


if __name__ == "__main__":
    main()
