"""A recording whose server died mid-call: PJSUA had not closed its WAVs (their headers still
say 0 bytes), and what they hold is finished into the MP3 a stopped recording would give."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import httpx

from sip_support import (
    ABSENT,
    CALLER_ID,
    PRESENT,
    carrier_trunk,
    decode_mp3,
    live_api,
    needs_sipp,
    phones,
    sip_app,
    tone_amplitude,
    wait_status,
    write_tone,
)

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp


async def test_the_files_of_a_recording_cut_by_a_crash_still_give_its_audio(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    far_end = phones(440)
    await carrier_trunk(live_api, far_end.port)
    body = {"to": "+14155552671", "from": CALLER_ID, "record": True}
    clock = asyncio.get_running_loop().time
    dialled = clock()
    call = (await live_api.post("/v1/voice/calls", json=body)).json()["data"]
    await wait_status(live_api, call["id"], "in_progress")
    answered = clock()  # the recorder started in between (with the answer)
    backend = sip_app.state.runtime.media.get("sip")
    await backend.play_audio(call["id"], write_tone(tmp_path / "ours.wav", 1000), loop=True)
    rec = (await live_api.get(f"/v1/voice/calls/{call['id']}/recording")).json()["data"]
    assert rec["status"] == "in_progress"
    await asyncio.sleep(3)

    # The files as a process killed now would leave them: still open, sizes never written.
    data_dir = sip_app.state.settings.data_dir
    crashed = tmp_path / "crashed" / f"{rec['id']}.wav"
    crashed.parent.mkdir()
    for part in ("far", "near"):
        [live] = data_dir.glob(f"recordings/*/{rec['id']}.{part}.wav")
        head = live.read_bytes()[:8]
        assert int.from_bytes(head[4:8], "little") != live.stat().st_size - 8  # not closed
        shutil.copy(live, crashed.with_suffix(f".{part}.wav"))
    copied = clock()
    assert (await live_api.post(f"/v1/voice/calls/{call['id']}/hangup")).status_code == 200

    result = await backend.recover_recording(crashed, trim=False)
    assert result is not None
    assert (result.format, result.channels) == ("mp3", 2)
    # Up to 8 KB per file may still have sat in the recorder's buffers (0.5 s at 8 kHz).
    got = result.duration_seconds
    assert copied - answered - 0.75 < got <= copied - dialled, (got, copied - answered)
    (left, right), rate = decode_mp3(result.path.read_bytes(), 2)
    assert tone_amplitude(left[rate // 2 :], rate, 440) > PRESENT  # the far end, on the left
    assert tone_amplitude(left, rate, 1000) < ABSENT
    assert tone_amplitude(right[rate // 2 :], rate, 1000) > PRESENT  # our side, on the right
    assert tone_amplitude(right, rate, 440) < ABSENT
    assert await backend.recover_recording(tmp_path / "never.wav", trim=False) is None
