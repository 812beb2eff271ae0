"""Voice clones through the API with real audio: espeak-ng speech (WAV, and FLAC / MP3 made
from it), and pure-python tones, noise and silence that are long but hold no speech."""

from __future__ import annotations

import array
import io
import math
import random
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile

from orbit_voice.clones.audio import analyse, decode
from orbit_voice.kit.clock import FakeClock

URL = "/v1/voice/clones"
TEXT = (
    "Thank you for calling Orbit. Your call matters to us, and an agent will be with you "
    "shortly. While you wait, you can visit our website to check the status of an order, "
    "update your billing details, or read answers to common questions. "
)


def espeak(path: Path, text: str, *args: str) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed for these tests: `make system-deps` installs it")
    subprocess.run(["espeak-ng", *args, "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """About 45 s of espeak-ng speech (22.05 kHz mono 16-bit WAV)."""
    yield espeak(tmp_path_factory.mktemp("speech") / "speech.wav", TEXT * 3)


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield espeak(tmp_path_factory.mktemp("speech") / "short.wav", TEXT)


def pcm_wav(samples: list[float], rate: int, channels: int = 1) -> bytes:
    data = array.array("h", (int(max(-1.0, min(1.0, s)) * 32767) for s in samples))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return buf.getvalue()


def read_wav(path: Path) -> tuple[list[float], int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = array.array("h", w.readframes(w.getnframes()))
    return [s / 32768 for s in data], rate


async def upload(
    api: httpx.AsyncClient, content: bytes, name: str = "Jane", filename: str = "s.wav"
) -> httpx.Response:
    return await api.post(
        URL, data={"name": name}, files={"file": (filename, content, "application/octet-stream")}
    )


async def test_create_from_espeak_wav(api: httpx.AsyncClient, speech: Path, data_dir: Path) -> None:
    r = await upload(api, speech.read_bytes(), name="Support voice")
    assert r.status_code == 201, r.text
    clone = r.json()["data"]
    assert clone["id"].startswith("clone_")
    assert clone["name"] == "Support voice"
    assert clone["status"] == "ready" and clone["engine"] == "parametric"
    sample = clone["sample"]
    assert sample["format"] == "wav" and sample["sample_rate"] == 22050
    assert sample["channels"] == 1 and sample["size_bytes"] == speech.stat().st_size
    assert sample["speech_seconds"] >= 30
    assert sample["speech_seconds"] <= sample["duration_seconds"]
    # espeak-ng's default en voice speaks at about 100 Hz: a low male voice.
    assert 85 <= clone["measurements"]["pitch_hz"] <= 120
    assert 2 <= clone["measurements"]["speaking_rate"] <= 8
    voice = clone["voice"]
    assert voice["tts"] == "espeak-ng" and voice["voice"] == "en-us"
    assert 40 <= voice["pitch"] <= 60 and 140 <= voice["speed"] <= 210
    stored = list((data_dir / "clones").glob("*/*"))
    assert [p.name for p in stored] == [f"{clone['id']}.wav"]
    assert stored[0].read_bytes() == speech.read_bytes()


@pytest.mark.parametrize("fmt", ["FLAC", "MP3"])
async def test_flac_and_mp3_are_decoded(
    api: httpx.AsyncClient, speech: Path, tmp_path: Path, fmt: str
) -> None:
    assert fmt in soundfile.available_formats()
    data, rate = soundfile.read(str(speech), dtype="int16")
    target = tmp_path / f"speech.{fmt.lower()}"
    soundfile.write(str(target), data, rate, format=fmt)
    r = await upload(api, target.read_bytes(), filename=target.name)
    assert r.status_code == 201, r.text
    clone = r.json()["data"]
    assert clone["sample"]["format"] == fmt.lower()
    assert clone["sample"]["speech_seconds"] >= 30
    assert 85 <= clone["measurements"]["pitch_hz"] <= 120


async def test_the_clone_follows_the_speaker(api: httpx.AsyncClient, tmp_path: Path) -> None:
    """Samples spoken with known espeak-ng settings map back onto about those settings."""
    text = TEXT * 5
    high_fast = espeak(tmp_path / "hf.wav", text, "-p", "80", "-s", "230")
    female = espeak(tmp_path / "f.wav", text, "-v", "en-us+f3", "-p", "40", "-s", "150")
    r = await upload(api, high_fast.read_bytes(), name="high and fast")
    assert r.status_code == 201, r.text
    hf = r.json()["data"]
    r = await upload(api, female.read_bytes(), name="female")
    assert r.status_code == 201, r.text
    fm = r.json()["data"]
    assert hf["voice"]["voice"] == "en-us" and 68 <= hf["voice"]["pitch"] <= 92
    assert 190 <= hf["voice"]["speed"] <= 270
    assert fm["voice"]["voice"] == "en-us+f3" and 28 <= fm["voice"]["pitch"] <= 52
    assert 120 <= fm["voice"]["speed"] <= 185
    assert fm["measurements"]["pitch_hz"] > hf["measurements"]["pitch_hz"]


async def test_preview_speaks_with_the_clone_parameters(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    sample = espeak(tmp_path / "v.wav", TEXT * 3, "-v", "en-us+f3", "-p", "60")
    clone = (await upload(api, sample.read_bytes())).json()["data"]
    r = await api.post(f"{URL}/{clone['id']}/preview", json={"text": TEXT})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    out = tmp_path / "preview.wav"
    out.write_bytes(r.content)
    measured = analyse(decode(out)).pitch_hz
    assert measured is not None
    assert abs(measured - clone["measurements"]["pitch_hz"]) / measured < 0.15
    r = await api.post(f"{URL}/{clone['id']}/preview", json={"text": ""})
    assert r.status_code == 422 and r.json()["error"]["param"] == "text"


async def test_stereo_is_422(api: httpx.AsyncClient, speech: Path) -> None:
    mono, rate = read_wav(speech)
    stereo = [s for sample in mono for s in (sample, sample)]
    r = await upload(api, pcm_wav(stereo, rate, channels=2))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "audio_not_mono" and error["param"] == "file"
    assert "mono" in error["message"]


async def test_low_sample_rate_is_422(api: httpx.AsyncClient, speech: Path) -> None:
    mono, rate = read_wav(speech)
    step = rate / 8000
    narrow = [mono[int(i * step)] for i in range(int(len(mono) / step))]
    r = await upload(api, pcm_wav(narrow, 8000))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "audio_sample_rate_too_low" and "16 kHz" in error["message"]


async def test_short_speech_is_422(api: httpx.AsyncClient, short_speech: Path) -> None:
    r = await upload(api, short_speech.read_bytes())
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "not_enough_speech" and "30 s of speech" in error["message"]
    assert error["details"]["speech_seconds"] < 30


async def test_length_is_not_speech(api: httpx.AsyncClient, short_speech: Path) -> None:
    """A minute of tone, of hiss, or of silence around short speech is not 30 s of speech."""
    rate = 16000
    rng = random.Random(7)
    tone = [0.5 * math.sin(2 * math.pi * 220 * i / rate) for i in range(rate * 60)]
    hiss = [rng.uniform(-0.3, 0.3) for _ in range(rate * 60)]
    words, words_rate = read_wav(short_speech)
    padded = [0.0] * (words_rate * 40) + words + [0.0] * (words_rate * 40)
    for samples, sr in [(tone, rate), (hiss, rate), (padded, words_rate)]:
        r = await upload(api, pcm_wav(samples, sr))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "not_enough_speech"
        assert r.json()["error"]["details"]["duration_seconds"] >= 60


@pytest.mark.parametrize(
    "content",
    [
        b"this is plainly text, not audio" * 100,
        b"RIFF\x24\x00\x00\x00WAVEfmt garbage that is not a wave header",
        b"fLaC" + bytes(2000),
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(2000),
        b"",
    ],
)
async def test_undecodable_is_415(api: httpx.AsyncClient, content: bytes, data_dir: Path) -> None:
    r = await upload(api, content)
    assert r.status_code == 415, r.text
    assert r.json()["error"]["param"] == "file"
    assert not list((data_dir / "clones").glob("*/*"))


async def test_not_multipart_is_415(api: httpx.AsyncClient) -> None:
    r = await api.post(URL, json={"name": "x", "file": "abc"})
    assert r.status_code == 415


async def test_missing_fields_are_422(api: httpx.AsyncClient, speech: Path) -> None:
    r = await api.post(URL, data={"name": "x"}, files={"other": ("a", b"b")})
    assert r.status_code == 422 and r.json()["error"]["param"] == "file"
    r = await api.post(URL, files={"file": ("s.wav", speech.read_bytes())})
    assert r.status_code == 422 and r.json()["error"]["param"] == "name"
    r = await upload(api, speech.read_bytes(), name="x" * 201)
    assert r.status_code == 422 and r.json()["error"]["param"] == "name"


async def test_over_50_mb_is_413(api: httpx.AsyncClient, data_dir: Path, app: Any) -> None:
    header = pcm_wav([0.0] * 16, 16000)
    big = header + bytes(50 * 1024 * 1024)
    r = await upload(api, big)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "audio_too_large"
    # A body that claims nothing about its size is cut off as it streams in.
    head = b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
    chunks = [head] + [b"x" * (1024 * 1024)] * 52

    async def body() -> Any:
        for chunk in chunks:
            yield chunk

    r = await api.post(
        URL, content=body(), headers={"content-type": "multipart/form-data; boundary=zz"}
    )
    assert r.status_code == 413
    assert not list((data_dir / "clones").glob("*/*"))


async def test_list_get_delete_and_tenancy(
    api: httpx.AsyncClient,
    other_api: httpx.AsyncClient,
    speech: Path,
    data_dir: Path,
    clock: FakeClock,
) -> None:
    ids = []
    for i in range(2):
        r = await upload(api, speech.read_bytes(), name=f"v{i}")
        ids.append(r.json()["data"]["id"])
        await clock.advance(1)
    listed = (await api.get(URL)).json()
    assert [c["id"] for c in listed["data"]] == ids[::-1]
    assert listed["meta"]["pagination"]["total"] == 2
    assert (await other_api.get(URL)).json()["data"] == []
    for method in ("get", "delete"):
        r = await getattr(other_api, method)(f"{URL}/{ids[0]}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "clone_not_found"
    r = await other_api.post(f"{URL}/{ids[0]}/preview", json={"text": "hi"})
    assert r.status_code == 404
    assert (await api.get(f"{URL}/{ids[0]}")).json()["data"]["name"] == "v0"
    sample = next((data_dir / "clones").glob(f"*/{ids[0]}.wav"))
    assert (await api.delete(f"{URL}/{ids[0]}")).status_code == 204
    assert not sample.exists()
    assert (await api.get(f"{URL}/{ids[0]}")).status_code == 404
    assert [c["id"] for c in (await api.get(URL)).json()["data"]] == [ids[1]]


async def test_voice_for(api: httpx.AsyncClient, speech: Path, sessionmaker: Any) -> None:
    from orbit_voice.clones.models import VoiceClone
    from orbit_voice.clones.service import voice_for

    clone = (await upload(api, speech.read_bytes())).json()["data"]
    async with sessionmaker() as session:
        row = await session.get(VoiceClone, clone["id"])
        assert row is not None
        voice = await voice_for(session, row.org_id, clone["id"])
        assert voice == {"engine": "parametric", **clone["voice"]}
        assert await voice_for(session, "org_other", clone["id"]) is None
