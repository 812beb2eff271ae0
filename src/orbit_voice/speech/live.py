"""Live transcripts: media backends feed each leg's audio here as the call runs; voice
activity detection cuts it into utterances, each is recognised as soon as it ends, stored as
a ``TranscriptChunk`` and announced to the call's SSE subscribers."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from orbit_voice.calls.models import Call
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import AudioFrame
from orbit_voice.speech.audio import pcm_from_bytes, resample
from orbit_voice.speech.vad import Utterance, UtteranceCutter
from orbit_voice.transcripts.models import TranscriptChunk

if TYPE_CHECKING:
    from orbit_voice.speech.runtime import SpeechRuntime

log = logging.getLogger(__name__)

_ENDED_MEMORY = 10_000


@dataclass
class _Stream:
    cutter: UtteranceCutter = field(default_factory=UtteranceCutter)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    generation: int = 0


class LiveHub:
    def __init__(self, speech: SpeechRuntime) -> None:
        self.speech = speech
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._pending: dict[str, set[asyncio.Task[Any]]] = {}
        self._signals: dict[str, asyncio.Event] = {}
        self._chunk_locks: dict[str, asyncio.Lock] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()

    # -- what subscribers use ---------------------------------------------------------------

    def signal(self, call_id: str) -> asyncio.Event:
        """An event set at the next change for ``call_id`` (take it before reading the rows)."""
        return self._signals.setdefault(call_id, asyncio.Event())

    def _notify(self, call_id: str) -> None:
        event = self._signals.pop(call_id, None)
        if event is not None:
            event.set()

    async def wait_idle(self, timeout: float = 300.0) -> None:
        """Wait until every utterance cut so far has been recognised and stored."""
        async with asyncio.timeout(timeout):
            while True:
                tasks = [t for pending in self._pending.values() for t in pending]
                if not tasks:
                    return
                await asyncio.wait(tasks)

    async def stop(self) -> None:
        tasks = [t for pending in self._pending.values() for t in pending]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self, call_id: str) -> bool:
        """Whether utterances of ``call_id`` are still being cut or recognised here."""
        if self._pending.get(call_id):
            return True
        return any(
            stream.cutter.busy
            for (leg, _speaker), stream in self._streams.items()
            if leg == call_id
        )

    # -- what backends use ------------------------------------------------------------------

    async def feed(self, frame: AudioFrame) -> None:
        if frame.leg_id in self._ended or not frame.pcm:
            return
        key = (frame.leg_id, frame.speaker)
        stream = self._streams.setdefault(key, _Stream())
        pcm = pcm_from_bytes(frame.pcm)
        if frame.rate != 8000:
            pcm = (resample(pcm, frame.rate, 8000) * 32767).astype("int16")
        async with stream.lock:
            utterances = await self.speech.run_light(stream.cutter.push, pcm, frame.start)
            stream.generation += 1
            generation = stream.generation
        for utt in utterances:
            self._submit(frame.leg_id, frame.speaker, utt)
        self.speech.clock.spawn(self._silence_timer(key, generation))

    async def _silence_timer(self, key: tuple[str, str], generation: int) -> None:
        # No audio for a while (the sender stopped, or only sends while someone talks):
        # close the open utterance instead of waiting for audio that may never come.
        stream = self._streams.get(key)
        if stream is None:
            return
        await self.speech.clock.sleep(stream.cutter.config.min_silence + 0.1)
        if self._streams.get(key) is not stream or stream.generation != generation:
            return
        async with stream.lock:
            utterances = await self.speech.run_light(stream.cutter.flush)
        for utt in utterances:
            self._submit(key[0], key[1], utt)

    async def call_ended(self, call_id: str) -> None:
        """Close the call's streams: what is still open is recognised, then the SSE ends."""
        self._ended[call_id] = None
        while len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)
        for key in [k for k in self._streams if k[0] == call_id]:
            stream = self._streams.pop(key)
            async with stream.lock:
                utterances = await self.speech.run_light(stream.cutter.flush)
            for utt in utterances:
                self._submit(call_id, key[1], utt)
        self._notify(call_id)

    # -- recognition ------------------------------------------------------------------------

    def _submit(self, call_id: str, speaker: str, utt: Utterance) -> None:
        # Recognition runs on real time, not on the clock: it takes as long as it takes, and
        # a test clock must not wait for it (``wait_idle`` does, when a test needs the text).
        task = asyncio.get_running_loop().create_task(self._recognise(call_id, speaker, utt))
        tasks = self._pending.setdefault(call_id, set())
        tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            tasks.discard(t)
            if not tasks:
                self._pending.pop(call_id, None)
                if call_id in self._ended:
                    self._chunk_locks.pop(call_id, None)
                self._notify(call_id)

        task.add_done_callback(done)

    async def _recognise(self, call_id: str, speaker: str, utt: Utterance) -> None:
        from orbit_voice.speech.runtime import DEFAULT_LANGUAGE

        try:
            audio = await self.speech.run(resample, utt.pcm, 8000)
            segments = await self.speech.run(
                self.speech.engine.transcribe, audio, DEFAULT_LANGUAGE, vad=False
            )
        except Exception:
            log.exception("live recognition failed", extra={"call_id": call_id})
            return
        text = " ".join(s.text for s in segments).strip()
        if not text:
            return
        lock = self._chunk_locks.setdefault(call_id, asyncio.Lock())
        async with lock, self.speech.sessionmaker() as session:
            org_id = (
                await session.execute(select(Call.org_id).where(Call.id == call_id))
            ).scalar_one_or_none()
            if org_id is None:
                return
            seq = (
                await session.execute(
                    select(func.coalesce(func.max(TranscriptChunk.seq), 0)).where(
                        TranscriptChunk.call_id == call_id
                    )
                )
            ).scalar_one()
            start = utt.start
            if segments:  # the recogniser knows where the words begin inside the utterance
                start = utt.start + timedelta(seconds=max(0.0, segments[0].start))
            session.add(
                TranscriptChunk(
                    id=new_id("trc"),
                    org_id=org_id,
                    call_id=call_id,
                    seq=int(seq) + 1,
                    speaker=speaker,
                    text=text,
                    ts=start,
                    end_ts=utt.end,
                    created_at=self.speech.clock.now(),
                )
            )
            await session.commit()
        self._notify(call_id)
