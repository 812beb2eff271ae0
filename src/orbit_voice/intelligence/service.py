"""Call intelligence: computed from a call's finished transcript, kept per call, listed and
trended per org. The analysis itself is ``analyzer``'s pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls.models import Call, CallEvent
from orbit_voice.errors import Conflict, Invalid
from orbit_voice.intelligence import analyzer
from orbit_voice.intelligence.models import CallIntelligence, IntelligenceSettings
from orbit_voice.intelligence.schemas import (
    IntelligenceOut,
    IntelligenceSettingsIn,
    IntelligenceSettingsOut,
    SentimentOut,
    TrendPoint,
)
from orbit_voice.kit.buckets import MAX_BUCKETS, Bucket, bucket_range, bucket_start
from orbit_voice.transcripts.models import Transcript

if TYPE_CHECKING:
    from orbit_voice.speech.runtime import SpeechRuntime

TREND_WINDOW = timedelta(days=30)
HOLD_EVENTS = ("call.held",)
TRANSFER_EVENTS = ("call.transfer.started", "call.warm_transfer.started")


# -- settings ----------------------------------------------------------------------------


async def _settings_row(session: AsyncSession, org_id: str) -> IntelligenceSettings | None:
    return (
        await session.execute(
            select(IntelligenceSettings).where(IntelligenceSettings.org_id == org_id)
        )
    ).scalar_one_or_none()


async def get_settings(session: AsyncSession, org_id: str) -> IntelligenceSettingsOut:
    row = await _settings_row(session, org_id)
    if row is None:
        return IntelligenceSettingsOut(
            intents=analyzer.DEFAULT_INTENTS,
            required_phrases=[],
            forbidden_phrases=[],
            is_default=True,
        )
    return IntelligenceSettingsOut(
        intents=row.intents,
        required_phrases=row.required_phrases,
        forbidden_phrases=row.forbidden_phrases,
        is_default=False,
    )


async def put_settings(
    session: AsyncSession, org_id: str, body: IntelligenceSettingsIn, now: datetime
) -> IntelligenceSettingsOut:
    """Fields left out keep their current value (the defaults, for a new org)."""
    current = await get_settings(session, org_id)
    row = await _settings_row(session, org_id)
    if row is None:
        row = IntelligenceSettings(org_id=org_id)
        session.add(row)
    row.intents = body.intents if body.intents is not None else current.intents
    row.required_phrases = (
        body.required_phrases if body.required_phrases is not None else current.required_phrases
    )
    row.forbidden_phrases = (
        body.forbidden_phrases if body.forbidden_phrases is not None else current.forbidden_phrases
    )
    row.updated_at = now
    await session.flush()
    return await get_settings(session, org_id)


# -- analysis ----------------------------------------------------------------------------


async def _facts(session: AsyncSession, call: Call, transcript: Transcript) -> analyzer.CallFacts:
    rows = await session.execute(
        select(CallEvent.type, func.count())
        .where(
            CallEvent.org_id == call.org_id,
            CallEvent.call_id == call.id,
            CallEvent.type.in_(HOLD_EVENTS + TRANSFER_EVENTS),
        )
        .group_by(CallEvent.type)
    )
    counts = {str(kind): int(n) for kind, n in rows.all()}
    duration = transcript.duration_seconds or 0.0
    if call.answered_at is not None and call.ended_at is not None:
        duration = (call.ended_at - call.answered_at).total_seconds()
    return analyzer.CallFacts(
        duration_seconds=duration,
        holds=sum(int(counts.get(t, 0)) for t in HOLD_EVENTS),
        transfers=sum(int(counts.get(t, 0)) for t in TRANSFER_EVENTS),
    )


def utterances_of(transcript: Transcript) -> list[analyzer.Utterance]:
    return [
        analyzer.Utterance(
            speaker=str(seg.get("speaker") or "caller"),
            text=str(seg.get("text") or ""),
            start=float(seg.get("start") or 0.0),
        )
        for seg in transcript.segments
        if str(seg.get("text") or "").strip()
    ]


async def analyse_call(
    session: AsyncSession, speech: SpeechRuntime, call: Call, transcript: Transcript
) -> CallIntelligence:
    """(Re)compute the call's intelligence from its completed transcript; flushes, no commit."""
    settings = await get_settings(session, call.org_id)
    facts = await _facts(session, call, transcript)
    result = await speech.run(
        analyzer.analyse,
        utterances_of(transcript),
        facts,
        intents=settings.intents,
        required=settings.required_phrases,
        forbidden=settings.forbidden_phrases,
    )
    row = (
        await session.execute(
            select(CallIntelligence).where(
                CallIntelligence.org_id == call.org_id, CallIntelligence.call_id == call.id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = CallIntelligence(call_id=call.id, org_id=call.org_id, created_at=call.created_at)
        session.add(row)
    row.agent_id = call.agent_id
    row.summary = result.summary
    row.overall = result.overall
    row.trajectory = result.trajectory
    row.agent_score = result.agent_score
    row.caller_score = result.caller_score
    row.utterances = result.utterances
    row.key_moments = result.key_moments
    row.action_items = result.action_items
    row.customer_effort_score = result.customer_effort_score
    row.effort_factors = result.effort_factors
    row.compliance_flags = result.compliance_flags
    row.language = transcript.language
    row.processed_at = speech.clock.now()
    await session.flush()
    return row


def to_out(row: CallIntelligence) -> IntelligenceOut:
    return IntelligenceOut(
        call_id=row.call_id,
        agent_id=row.agent_id,
        summary=row.summary,
        sentiment=SentimentOut.model_validate(
            {
                "overall": row.overall,
                "trajectory": row.trajectory,
                "agent_score": row.agent_score,
                "caller_score": row.caller_score,
                "utterances": row.utterances,
            }
        ),
        key_moments=row.key_moments,
        action_items=row.action_items,
        customer_effort_score=row.customer_effort_score,
        customer_effort_factors=row.effort_factors,
        agent_compliance_flags=row.compliance_flags,
        language=row.language,
        processed_at=row.processed_at,
    )


async def get_for_call(session: AsyncSession, call: Call) -> CallIntelligence:
    row = (
        await session.execute(
            select(CallIntelligence).where(
                CallIntelligence.org_id == call.org_id, CallIntelligence.call_id == call.id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        from orbit_voice.transcripts import service as transcripts

        status = await transcripts.status_for_call(session, call)
        raise Conflict(
            "This call's intelligence is not ready: it is computed once the call's transcript "
            "has been processed.",
            code="intelligence_not_ready",
            details={"transcript_status": status},
        )
    return row


async def rerun(session: AsyncSession, speech: SpeechRuntime, call: Call) -> CallIntelligence:
    from orbit_voice.transcripts import service as transcripts

    transcript = await transcripts.completed_for_call(session, call)
    return await analyse_call(session, speech, call, transcript)


# -- lists and trends --------------------------------------------------------------------

SENTIMENTS = ("positive", "neutral", "negative")


def _filtered(
    org_id: str,
    *,
    sentiment: str | None,
    agent_id: str | None,
    start: datetime | None,
    end: datetime | None,
    min_effort: float | None,
    max_effort: float | None,
) -> Select[CallIntelligence]:
    stmt = select(CallIntelligence).where(CallIntelligence.org_id == org_id)
    if sentiment:
        if sentiment in SENTIMENTS:
            # "negative" finds calls that are negative throughout or end negative.
            stmt = stmt.where(
                or_(
                    CallIntelligence.overall == sentiment,
                    CallIntelligence.overall.like(f"%\\_to\\_{sentiment}", escape="\\"),
                )
            )
        else:
            stmt = stmt.where(CallIntelligence.overall == sentiment)
    if agent_id:
        stmt = stmt.where(CallIntelligence.agent_id == agent_id)
    if start:
        stmt = stmt.where(CallIntelligence.created_at >= start)
    if end:
        stmt = stmt.where(CallIntelligence.created_at <= end)
    if min_effort is not None:
        stmt = stmt.where(CallIntelligence.customer_effort_score >= min_effort)
    if max_effort is not None:
        stmt = stmt.where(CallIntelligence.customer_effort_score <= max_effort)
    return stmt


async def list_(
    session: AsyncSession, org_id: str, params: PageParams, **filters: Any
) -> tuple[list[CallIntelligence], Pagination]:
    stmt = _filtered(org_id, **filters)
    return await paginate(
        session, stmt, CallIntelligence.created_at, CallIntelligence.call_id, params
    )


def _avg(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


async def trends(
    session: AsyncSession,
    org_id: str,
    *,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
    bucket: Bucket,
) -> list[TrendPoint]:
    end = end or now
    start = start or end - TREND_WINDOW
    if start >= end:
        raise Invalid("`from` must be before `to`.", param="from")
    buckets = bucket_range(start, end, bucket)
    if len(buckets) > MAX_BUCKETS:
        raise Invalid(
            f"That window holds more than {MAX_BUCKETS} {bucket} buckets; "
            "use a shorter window or a larger bucket.",
            param="bucket",
        )
    rows = (
        await session.execute(
            select(CallIntelligence).where(
                CallIntelligence.org_id == org_id,
                CallIntelligence.created_at >= start,
                CallIntelligence.created_at <= end,
            )
        )
    ).scalars()
    grouped: dict[datetime, list[CallIntelligence]] = {b: [] for b in buckets}
    for row in rows:
        grouped.setdefault(bucket_start(row.created_at, bucket), []).append(row)
    points = []
    for at in sorted(grouped):
        items = grouped[at]
        ends = [r.overall.rsplit("_to_", 1)[-1] for r in items]
        points.append(
            TrendPoint(
                bucket_start=at,
                calls=len(items),
                avg_caller_score=_avg([r.caller_score for r in items]),
                avg_agent_score=_avg([r.agent_score for r in items]),
                avg_customer_effort_score=_avg([r.customer_effort_score for r in items]),
                positive=ends.count("positive"),
                neutral=ends.count("neutral"),
                negative=ends.count("negative"),
                improved=sum(1 for r in items if r.trajectory == "improved"),
                declined=sum(1 for r in items if r.trajectory == "declined"),
            )
        )
    return points
