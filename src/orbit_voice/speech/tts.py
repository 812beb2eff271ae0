"""Text to speech with espeak-ng, delivered as telephone audio (8 kHz, mono, 16-bit PCM)."""

from __future__ import annotations

import asyncio
import shutil

from orbit_voice.errors import ServiceUnavailable

PHONE_RATE = 8000
TIMEOUT_SECONDS = 30.0


class TtsUnavailable(ServiceUnavailable):
    code = "tts_unavailable"


async def _run(argv: list[str], stdin: bytes) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), TIMEOUT_SECONDS)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise TtsUnavailable(f"{argv[0]} did not finish in {TIMEOUT_SECONDS:g}s.") from exc
    if proc.returncode != 0:
        raise TtsUnavailable(f"{argv[0]} failed: {err.decode(errors='replace')[:200]}")
    return out


async def speak_pcm(
    text: str,
    *,
    voice: str = "en-us",
    words_per_minute: int = 150,
    pitch: int | None = None,
    rate: int = PHONE_RATE,
) -> bytes:
    """Render ``text`` to mono signed 16-bit little-endian PCM at ``rate`` (8 kHz: a call).

    espeak-ng synthesises at 22.05 kHz; sox band-limits and resamples it to the telephone
    rate, so what reaches a call (and the speech recogniser) is narrowband, as on a real line.
    Interpolating without that filter would fold what is above the line's band back into it.
    """
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        raise TtsUnavailable(
            "Text to speech needs espeak-ng and sox on this server (apt-get install espeak-ng sox)."
        )
    # The text goes in on stdin, so nothing in it is read as an option. sox's dither (-D off)
    # would add random noise: the same text must always give the same audio.
    args = ["--stdout", "-v", voice, "-s", str(words_per_minute)]
    if pitch is not None:  # 0..99; espeak-ng's default is 50
        args += ["-p", str(pitch)]
    wav = await _run([espeak, *args], text.encode())
    to_phone = ["-t", "raw", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer"]
    pcm = await _run([sox, "-q", "-D", "-t", "wav", "-", *to_phone, "-L", "-"], wav)
    if len(pcm) % 2:
        pcm = pcm[:-1]
    return pcm
