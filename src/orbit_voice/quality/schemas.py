from __future__ import annotations

from pydantic import Field

from orbit_voice.api.schemas import Output, Timestamp


class LegQualityOut(Output):
    leg: str = Field(description="inbound (far end → us) or outbound (us → far end)")
    codec: str
    mos: float
    r_factor: float
    vaqi: float
    jitter_ms: float
    max_jitter_ms: float
    packet_loss_pct: float
    rtt_ms: float
    audio_gaps: int
    one_way_audio: bool
    samples: int
    final: bool
    sampled_at: Timestamp


class CallQualityOut(Output):
    call_id: str
    trunk_id: str | None
    codec: str
    mos: float = Field(description="The worse direction's MOS (ITU-T G.107 E-model)")
    r_factor: float
    vaqi: float = Field(description="0..100, the worse direction's")
    jitter_ms: float
    max_jitter_ms: float
    packet_loss_pct: float
    rtt_ms: float
    audio_gaps: int
    one_way_audio: bool
    final: bool = Field(description="Whether every direction has its end-of-call sample")
    sampled_at: Timestamp
    legs: list[LegQualityOut]


class QualityRollupOut(Output):
    period_start: Timestamp
    period_end: Timestamp
    trunk_id: str | None = None
    trunk_name: str | None = None
    carrier: str | None = None
    trunk_ids: list[str] | None = None
    calls: int
    avg_mos: float
    p95_jitter_ms: float
    packet_loss_pct: float
    vaqi: float
    one_way_audio_calls: int
