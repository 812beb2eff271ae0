"""Simulator controls for speech and network quality (test keys only)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import Field

from orbit_voice.api.deps import RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ok
from orbit_voice.api.schemas import Input, Output, Timestamp
from orbit_voice.calls import service as calls
from orbit_voice.speech import service

router = APIRouter(prefix="/simulator", tags=["simulator"])


class SpeechIn(Input):
    speaker: Literal["caller", "agent"] = Field(
        description="caller: the far end (left channel); agent: our side (right channel)"
    )
    text: str = Field(min_length=1, max_length=1000)


class SpeechOut(Output):
    call_id: str
    speaker: str
    text: str
    starts_at: Timestamp
    duration_seconds: float


class NetworkIn(Input):
    codec: Literal["PCMU", "PCMA", "G722", "G729", "OPUS"] = "PCMU"
    packet_loss_pct: float = Field(default=0.0, ge=0, le=100)
    jitter_ms: float = Field(default=2.0, ge=0, le=1000)
    rtt_ms: float = Field(default=40.0, ge=0, le=5000)
    audio_gaps: int = Field(default=0, ge=0, le=1000)
    one_way_audio: Literal["inbound", "outbound"] | None = Field(
        default=None, description="The direction that carries no audio, if any"
    )


class NetworkOut(NetworkIn):
    call_id: str


@router.post(
    "/calls/{call_id}/speech",
    status_code=202,
    summary="Speak text (espeak-ng, 8 kHz) into a call as the caller or the agent",
)
async def speak(
    request: Request,
    call_id: str,
    body: SpeechIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[SpeechOut]:
    service.simulator(rt, auth)
    call = await calls.get(session, auth.org_id, call_id)
    segment = await service.say(session, rt, auth, call, body.speaker, body.text)
    return ok(
        request,
        SpeechOut(
            call_id=call.id,
            speaker=body.speaker,
            text=body.text,
            starts_at=segment.start,
            duration_seconds=round(segment.duration, 2),
        ),
    )


@router.post("/calls/{call_id}/network", summary="Set the network a simulated call runs over")
async def network(
    request: Request,
    call_id: str,
    body: NetworkIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[NetworkOut]:
    service.simulator(rt, auth)
    call = await calls.get(session, auth.org_id, call_id)
    await service.set_network(session, rt, auth, call, body.model_dump())
    return ok(request, NetworkOut(call_id=call.id, **body.model_dump()))
