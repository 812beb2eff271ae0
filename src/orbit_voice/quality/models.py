from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime


class CallQuality(Base):
    """Voice quality of one media direction of a call, updated with every RTCP sample.

    ``leg`` is ``inbound`` (far end → us, measured on our receive side) or ``outbound``
    (us → far end, as the far end's RTCP receiver reports describe it).
    """

    __tablename__ = "call_quality"
    __table_args__ = (UniqueConstraint("call_id", "leg", name="uq_call_quality_call_leg"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    leg: Mapped[str] = mapped_column(String(16))
    trunk_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    codec: Mapped[str] = mapped_column(String(16))
    jitter_ms: Mapped[float] = mapped_column(Float)  # mean of the samples
    max_jitter_ms: Mapped[float] = mapped_column(Float)
    packet_loss_pct: Mapped[float] = mapped_column(Float)  # mean of the samples
    rtt_ms: Mapped[float] = mapped_column(Float)  # mean of the samples
    r_factor: Mapped[float] = mapped_column(Float)
    mos: Mapped[float] = mapped_column(Float)
    vaqi: Mapped[float] = mapped_column(Float)
    one_way_audio: Mapped[bool] = mapped_column(Boolean)
    audio_gaps: Mapped[int] = mapped_column(Integer)
    # Packets received in this direction so far (RTCP); a sample where it stands still while
    # the call is live counts as an audio gap.
    packets: Mapped[int | None] = mapped_column(Integer, nullable=True)
    samples: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
