"""Voice quality: per-leg samples in, MOS/VAQI out, and the dashboard rollups.

Writers: the SIP engine's RTCP samples (``MediaEventKind.STATS`` → ``record_stats_event``)
and the simulator's network profile when a simulated call ends (``record_sim_profile``).
Both end in ``record_leg_stats``, which keeps one row per call and direction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls.lifecycle import QualitySampled
from orbit_voice.calls.models import Call
from orbit_voice.errors import Invalid
from orbit_voice.kit.buckets import STEP, Bucket, bucket_start
from orbit_voice.kit.ids import new_id
from orbit_voice.quality import emodel
from orbit_voice.quality.models import CallQuality
from orbit_voice.runtime import Runtime

LEGS = ("inbound", "outbound")
DEFAULT_WINDOW = timedelta(days=30)

# The simulator's network when nobody set one: a clean G.711 line.
SIM_DEFAULT_PROFILE: dict[str, Any] = {
    "codec": "PCMU",
    "packet_loss_pct": 0.0,
    "jitter_ms": 2.0,
    "rtt_ms": 40.0,
    "audio_gaps": 0,
    "one_way_audio": None,
}


async def _trunk_id(session: AsyncSession, org_id: str, call: Call | None) -> str | None:
    if call is None:
        return None
    try:
        from orbit_voice.trunks.service import trunk_for_call
    except ImportError:
        return None
    our_number = call.from_ if call.direction == "outbound" else call.to
    trunk = await trunk_for_call(session, org_id, our_number)
    return trunk.id if trunk is not None else None


async def record_leg_stats(
    session: AsyncSession,
    *,
    org_id: str,
    call_id: str,
    leg: str,
    codec: str,
    jitter_ms: float,
    loss_pct: float,
    rtt_ms: float | None,
    now: datetime,
    final: bool,
    max_jitter_ms: float | None = None,
    packets: int | None = None,
    audio_gaps: int = 0,
    one_way_audio: bool | None = None,
) -> CallQuality:
    """Store one quality sample of one direction (``inbound``/``outbound``) of a call.

    RTCP counters are cumulative over the call, so a sample replaces the previous one; the
    maximum jitter is kept, and a sample whose received-packet count stood still since the
    last one (while the call is not on hold) counts one audio gap. ``final`` marks the sample
    taken as the leg ended. Call it inside the caller's transaction; it does not commit.
    """
    if leg not in LEGS:
        raise ValueError(f"leg must be one of {LEGS}, not {leg!r}")
    row = (
        await session.execute(
            select(CallQuality).where(
                CallQuality.org_id == org_id, CallQuality.call_id == call_id, CallQuality.leg == leg
            )
        )
    ).scalar_one_or_none()
    call = (
        await session.execute(select(Call).where(Call.id == call_id, Call.org_id == org_id))
    ).scalar_one_or_none()
    jitter = max(0.0, float(jitter_ms))
    loss = min(100.0, max(0.0, float(loss_pct)))
    if row is None:
        row = CallQuality(
            id=new_id("cq"),
            org_id=org_id,
            call_id=call_id,
            leg=leg,
            trunk_id=await _trunk_id(session, org_id, call),
            codec=codec,
            jitter_ms=jitter,
            max_jitter_ms=jitter,
            packet_loss_pct=loss,
            rtt_ms=0.0,
            r_factor=0.0,
            mos=1.0,
            vaqi=0.0,
            one_way_audio=False,
            audio_gaps=0,
            packets=None,
            samples=0,
            final=False,
            sampled_at=now,
            created_at=now,
        )
        session.add(row)
    else:
        stalled = (
            packets is not None
            and row.packets is not None
            and packets <= row.packets
            and not (call is not None and call.on_hold)
        )
        if stalled:
            row.audio_gaps += 1
    row.codec = codec or row.codec
    row.jitter_ms = jitter
    row.max_jitter_ms = max(row.max_jitter_ms, jitter, float(max_jitter_ms or 0.0))
    row.packet_loss_pct = loss
    if rtt_ms is not None:
        row.rtt_ms = max(0.0, float(rtt_ms))
    row.audio_gaps += max(0, audio_gaps)
    if packets is not None:
        row.packets = packets
    if one_way_audio is not None:
        row.one_way_audio = one_way_audio
    row.samples += 1
    row.final = row.final or final
    row.sampled_at = now
    result = emodel.assess(
        codec=row.codec,
        jitter_ms=row.jitter_ms,
        loss_pct=row.packet_loss_pct,
        rtt_ms=row.rtt_ms,
        audio_gaps=row.audio_gaps,
        one_way_audio=row.one_way_audio,
    )
    row.r_factor, row.mos, row.vaqi = result.r_factor, result.mos, result.vaqi
    await session.flush()
    return row


async def on_quality_sampled(session: AsyncSession, rt: Runtime, event: QualitySampled) -> None:
    await record_stats_event(session, event.call, event.stats, event.at)


async def record_stats_event(
    session: AsyncSession, call: Call, data: dict[str, Any], now: datetime
) -> None:
    """Apply a media backend's ``stats`` event: ``{codec, rtt_ms, inbound: {...}, outbound:
    {...}, final}`` where each direction has jitter_ms, max_jitter_ms, packet_loss_pct,
    packets and packets_lost (the SIP engine's RTCP view)."""
    directions = {leg: data.get(leg) for leg in LEGS}
    packets = {
        leg: int(d["packets"]) if isinstance(d, dict) and d.get("packets") is not None else None
        for leg, d in directions.items()
    }
    final = bool(data.get("final"))
    for leg, stats in directions.items():
        if not isinstance(stats, dict):
            continue
        other = packets["outbound" if leg == "inbound" else "inbound"]
        mine = packets[leg]
        # Media flows one way only: nothing arrived this way while the other way carried audio.
        one_way = None
        if mine is not None and other is not None and (final or other > 50):
            one_way = mine == 0 and other > 0
        await record_leg_stats(
            session,
            org_id=call.org_id,
            call_id=call.id,
            leg=leg,
            codec=str(data.get("codec") or "PCMU"),
            jitter_ms=float(stats.get("jitter_ms") or 0.0),
            max_jitter_ms=float(stats.get("max_jitter_ms") or 0.0),
            loss_pct=float(stats.get("packet_loss_pct") or 0.0),
            rtt_ms=float(data["rtt_ms"]) if data.get("rtt_ms") is not None else None,
            now=now,
            final=final,
            packets=mine,
            one_way_audio=one_way,
        )


async def record_sim_profile(
    session: AsyncSession, call: Call, profile: dict[str, Any] | None, now: datetime
) -> None:
    """A simulated call's quality, from the network profile the test set (or a clean line)."""
    p = {**SIM_DEFAULT_PROFILE, **(profile or {})}
    for leg in LEGS:
        await record_leg_stats(
            session,
            org_id=call.org_id,
            call_id=call.id,
            leg=leg,
            codec=str(p["codec"]),
            jitter_ms=float(p["jitter_ms"]),
            loss_pct=float(p["packet_loss_pct"]),
            rtt_ms=float(p["rtt_ms"]),
            now=now,
            final=True,
            audio_gaps=int(p["audio_gaps"]),
            one_way_audio=p["one_way_audio"] == leg,
        )


# -- reading ------------------------------------------------------------------------------


@dataclass
class CallView:
    call_id: str
    trunk_id: str | None
    sampled_at: datetime
    legs: list[CallQuality]

    @property
    def worst(self) -> CallQuality:
        return min(self.legs, key=lambda q: (q.vaqi, q.mos))

    def summary(self) -> dict[str, Any]:
        worst = self.worst
        return {
            "call_id": self.call_id,
            "trunk_id": self.trunk_id,
            "codec": worst.codec,
            "mos": min(q.mos for q in self.legs),
            "r_factor": min(q.r_factor for q in self.legs),
            "vaqi": min(q.vaqi for q in self.legs),
            "jitter_ms": max(q.jitter_ms for q in self.legs),
            "max_jitter_ms": max(q.max_jitter_ms for q in self.legs),
            "packet_loss_pct": max(q.packet_loss_pct for q in self.legs),
            "rtt_ms": max(q.rtt_ms for q in self.legs),
            "audio_gaps": sum(q.audio_gaps for q in self.legs),
            "one_way_audio": any(q.one_way_audio for q in self.legs),
            "final": all(q.final for q in self.legs),
            "sampled_at": self.sampled_at,
            "legs": sorted(self.legs, key=lambda q: q.leg),
        }


def window(
    now: datetime, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    end = end or now
    start = start or end - DEFAULT_WINDOW
    if start >= end:
        raise Invalid("`from` must be before `to`.", param="from")
    return start, end


async def _views(
    session: AsyncSession, org_id: str, start: datetime, end: datetime
) -> list[CallView]:
    rows = (
        await session.execute(
            select(CallQuality).where(
                CallQuality.org_id == org_id,
                CallQuality.sampled_at >= start,
                CallQuality.sampled_at <= end,
            )
        )
    ).scalars()
    return _group(list(rows))


def _group(rows: list[CallQuality]) -> list[CallView]:
    by_call: dict[str, list[CallQuality]] = defaultdict(list)
    for row in rows:
        by_call[row.call_id].append(row)
    return [
        CallView(
            call_id=call_id,
            trunk_id=legs[0].trunk_id,
            sampled_at=max(q.sampled_at for q in legs),
            legs=legs,
        )
        for call_id, legs in by_call.items()
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(0.95 * len(ordered)) - 1)  # nearest-rank percentile
    return ordered[rank]


def _rollup(views: list[CallView]) -> dict[str, Any]:
    summaries = [v.summary() for v in views]
    return {
        "calls": len(summaries),
        "avg_mos": round(sum(s["mos"] for s in summaries) / len(summaries), 2),
        "p95_jitter_ms": round(_p95([s["jitter_ms"] for s in summaries]), 1),
        "packet_loss_pct": round(sum(s["packet_loss_pct"] for s in summaries) / len(summaries), 2),
        "vaqi": round(sum(s["vaqi"] for s in summaries) / len(summaries), 1),
        "one_way_audio_calls": sum(1 for s in summaries if s["one_way_audio"]),
    }


async def _trunks(session: AsyncSession, org_id: str) -> dict[str, Any]:
    try:
        from orbit_voice.trunks.models import Trunk
    except ImportError:
        return {}
    rows = (await session.execute(select(Trunk).where(Trunk.org_id == org_id))).scalars()
    return {t.id: t for t in rows}


async def aggregates(
    session: AsyncSession,
    org_id: str,
    *,
    start: datetime,
    end: datetime,
    period: Bucket,
    by: Literal["trunk", "carrier"],
) -> list[dict[str, Any]]:
    """Per trunk (or carrier) and period: average MOS, p95 jitter, loss %, average VAQI."""
    trunks = await _trunks(session, org_id)
    groups: dict[tuple[str | None, datetime], list[CallView]] = defaultdict(list)
    for view in await _views(session, org_id, start, end):
        trunk = trunks.get(view.trunk_id) if view.trunk_id else None
        key: str | None
        if by == "trunk":
            key = view.trunk_id if trunk is not None else None
        else:
            key = getattr(trunk, "carrier", None) if trunk is not None else None
        groups[(key, bucket_start(view.sampled_at, period))].append(view)
    out = []
    for (key, at), views in sorted(
        groups.items(), key=lambda kv: (kv[0][1], kv[0][0] or ""), reverse=True
    ):
        item: dict[str, Any] = {"period_start": at, "period_end": at + STEP[period]}
        if by == "trunk":
            trunk = trunks.get(key) if key else None
            item["trunk_id"] = key
            item["trunk_name"] = getattr(trunk, "name", None)
            item["carrier"] = getattr(trunk, "carrier", None)
        else:
            item["carrier"] = key
            item["trunk_ids"] = sorted({v.trunk_id for v in views if v.trunk_id in trunks})
        item.update(_rollup(views))
        out.append(item)
    return out


async def worst_calls(
    session: AsyncSession,
    org_id: str,
    *,
    start: datetime,
    end: datetime,
    by: Literal["vaqi", "packet_loss", "jitter"],
    limit: int,
) -> list[dict[str, Any]]:
    summaries = [v.summary() for v in await _views(session, org_id, start, end)]
    if by == "vaqi":
        summaries.sort(key=lambda s: (s["vaqi"], s["mos"]))
    elif by == "packet_loss":
        summaries.sort(key=lambda s: (-s["packet_loss_pct"], s["vaqi"]))
    else:
        summaries.sort(key=lambda s: (-s["jitter_ms"], s["vaqi"]))
    return summaries[:limit]


async def call_matrix(
    session: AsyncSession,
    org_id: str,
    params: PageParams,
    *,
    call_id: str | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[dict[str, Any]], Pagination]:
    """Per-call quality, newest call first, paginated over the calls that have samples."""
    with_quality = select(CallQuality.call_id).where(CallQuality.org_id == org_id)
    stmt = select(Call).where(Call.org_id == org_id, Call.id.in_(with_quality))
    if call_id:
        stmt = stmt.where(Call.id == call_id)
    if start:
        stmt = stmt.where(Call.created_at >= start)
    if end:
        stmt = stmt.where(Call.created_at <= end)
    calls, pagination = await paginate(session, stmt, Call.created_at, Call.id, params)
    if not calls:
        return [], pagination
    rows = (
        await session.execute(
            select(CallQuality).where(
                CallQuality.org_id == org_id, CallQuality.call_id.in_([c.id for c in calls])
            )
        )
    ).scalars()
    views = {v.call_id: v for v in _group(list(rows))}
    return [views[c.id].summary() for c in calls if c.id in views], pagination
