"""Cutting a live audio stream into utterances with the Silero VAD that faster-whisper bundles.

One ``UtteranceCutter`` follows one speaker of one call. Audio arrives in chunks of any size
(20 ms RTP frames, half-second simulator blocks) with their wall-clock start; the cutter
scores each 32 ms window for speech and closes an utterance after ``min_silence`` of
non-speech, or when it grows past ``max_utterance``. A gap in the stream (nothing sent) counts
as silence. Synchronous: run ``push``/``flush`` on the speech thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from orbit_voice.speech.audio import Pcm16, upsample_fast

RATE = 8000
WINDOW = 256  # samples at 8 kHz = Silero's 512-sample window at 16 kHz (32 ms)
_VAD_WINDOW = 512


@dataclass(frozen=True)
class Utterance:
    start: datetime
    end: datetime
    pcm: Pcm16  # 8 kHz mono


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5
    neg_threshold: float = 0.35
    min_silence: float = 0.6
    min_speech: float = 0.25
    pad: float = 0.2
    max_utterance: float = 25.0


class UtteranceCutter:
    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._buf = np.zeros(0, dtype=np.int16)
        self._buf_start: datetime | None = None  # time of _buf[0]
        self._scored = 0  # samples of _buf already scored (a multiple of WINDOW)
        self._context = np.zeros(_VAD_WINDOW, dtype=np.float32)  # the last window, at 16 kHz
        self._speech_start: int | None = None  # sample index in _buf
        self._silent_windows = 0

    @property
    def busy(self) -> bool:
        """Whether an utterance is open (speech heard and not yet closed)."""
        return self._speech_start is not None

    def _end_time(self) -> datetime | None:
        if self._buf_start is None:
            return None
        return self._buf_start + timedelta(seconds=self._buf.size / RATE)

    def push(self, pcm: Pcm16, at: datetime) -> list[Utterance]:
        out: list[Utterance] = []
        end = self._end_time()
        if end is None:
            self._buf_start = at
        else:
            gap = (at - end).total_seconds()
            if gap >= self.config.min_silence:
                out += self.flush()
                self._buf_start = at
            elif gap > 0:
                pcm = np.concatenate([np.zeros(int(gap * RATE), dtype=np.int16), pcm])
        self._buf = np.concatenate([self._buf, pcm.astype(np.int16)])
        out += self._score()
        self._trim()
        return out

    def flush(self) -> list[Utterance]:
        """Close any open utterance at the end of the audio heard so far."""
        out = []
        if self._speech_start is not None:
            utt = self._cut(self._speech_start, self._buf.size, pad_end=False)
            if utt is not None:
                out.append(utt)
        self._speech_start = None
        self._silent_windows = 0
        self._buf = np.zeros(0, dtype=np.int16)
        self._buf_start = None
        self._scored = 0
        self._context = np.zeros(_VAD_WINDOW, dtype=np.float32)
        return out

    def _probabilities(self, pcm: Pcm16) -> list[float]:
        from faster_whisper.vad import get_vad_model

        audio = upsample_fast(pcm)
        # The model scores each window with the tail of the one before as context; feeding
        # the previous window first (and dropping its score) keeps chunk edges seamless.
        batch = np.concatenate([self._context, audio])
        probs = get_vad_model()(batch).reshape(-1)
        self._context = audio[-_VAD_WINDOW:]
        return [float(p) for p in probs[1:]]

    def _score(self) -> list[Utterance]:
        cfg = self.config
        out: list[Utterance] = []
        whole = (self._buf.size - self._scored) // WINDOW * WINDOW
        if whole <= 0:
            return out
        probs = self._probabilities(self._buf[self._scored : self._scored + whole])
        silence_windows = int(cfg.min_silence * RATE / WINDOW)
        for i, prob in enumerate(probs):
            pos = self._scored + i * WINDOW
            if self._speech_start is None:
                if prob >= cfg.threshold:
                    self._speech_start = pos
                    self._silent_windows = 0
                continue
            if prob < cfg.neg_threshold:
                self._silent_windows += 1
            elif prob >= cfg.threshold:
                self._silent_windows = 0
            if self._silent_windows >= silence_windows:
                end = pos + WINDOW - self._silent_windows * WINDOW
                utt = self._cut(self._speech_start, end, pad_end=True)
                if utt is not None:
                    out.append(utt)
                self._speech_start = None
                self._silent_windows = 0
            elif (pos + WINDOW - self._speech_start) / RATE >= cfg.max_utterance:
                utt = self._cut(self._speech_start, pos + WINDOW, pad_end=False)
                if utt is not None:
                    out.append(utt)
                self._speech_start = pos + WINDOW
                self._silent_windows = 0
        self._scored += whole
        return out

    def _cut(self, start: int, end: int, *, pad_end: bool) -> Utterance | None:
        cfg = self.config
        if (end - start) / RATE < cfg.min_speech or self._buf_start is None:
            return None
        pad = int(cfg.pad * RATE)
        lo = max(0, start - pad)
        hi = min(self._buf.size, end + pad) if pad_end else end
        return Utterance(
            start=self._buf_start + timedelta(seconds=lo / RATE),
            end=self._buf_start + timedelta(seconds=hi / RATE),
            pcm=self._buf[lo:hi].copy(),
        )

    def _trim(self) -> None:
        """Forget audio no utterance can reach any more (keep the padding before speech)."""
        keep_from = self._speech_start if self._speech_start is not None else self._scored
        keep_from = max(0, keep_from - int(self.config.pad * RATE))
        keep_from -= keep_from % WINDOW
        if keep_from <= 0 or self._buf_start is None:
            return
        self._buf = self._buf[keep_from:]
        self._buf_start += timedelta(seconds=keep_from / RATE)
        self._scored -= keep_from
        if self._speech_start is not None:
            self._speech_start -= keep_from
