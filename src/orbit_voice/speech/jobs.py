"""The durable speech job queue (``speech_jobs``) and the worker that drains it.

A job is claimed with a lease (a compare-and-set on ``status``/``attempts``), worked on with
no transaction open while recognition runs on the thread pool, and settled in one
transaction together with its results. A job whose worker died is claimed again once its
lease runs out; a failed attempt is retried after 10 s, 1 min, then 5 min; a permanent error
(undecodable audio, a refused URL) fails it at once. ``run_due`` is one pass, which tests call
directly, like the webhook deliverer's ``deliver_due``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.kit.ids import new_id
from orbit_voice.speech.models import SpeechJob

if TYPE_CHECKING:
    from orbit_voice.speech.runtime import SpeechRuntime

log = logging.getLogger(__name__)

KINDS = ("call", "voicemail", "transcribe")
RETRY_DELAYS_SECONDS = (10, 60, 300)
MAX_ATTEMPTS = len(RETRY_DELAYS_SECONDS) + 1
LEASE = timedelta(minutes=15)
MAX_ERROR_CHARS = 2000


class JobError(Exception):
    """A job failure with a code users see; ``permanent`` ones are not retried."""

    def __init__(self, code: str, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent


class Defer(Exception):
    """Not yet: try again after ``seconds`` without using up an attempt."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deferred {seconds}s")
        self.seconds = seconds


async def add_job(
    session: AsyncSession,
    *,
    kind: str,
    ref_id: str,
    org_id: str,
    audio_path: Path | None,
    language: str,
    now: datetime,
) -> SpeechJob:
    if kind not in KINDS:
        raise ValueError(f"unknown speech job kind {kind!r}")
    job = SpeechJob(
        id=new_id("job"),
        org_id=org_id,
        kind=kind,
        ref_id=ref_id,
        audio_path=str(audio_path) if audio_path is not None else None,
        language=language,
        status="queued",
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        run_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    await session.flush()
    return job


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    ref_id: str,
    org_id: str,
    audio_path: Path | None,
    language: str,
    now: datetime,
) -> None:
    """Queue speech work in the caller's transaction (e.g. ``kind="voicemail"``, ``ref_id`` a
    ``vmsg_`` id, ``audio_path`` its WAV): it runs once that transaction commits."""
    await add_job(
        session,
        kind=kind,
        ref_id=ref_id,
        org_id=org_id,
        audio_path=audio_path,
        language=language,
        now=now,
    )


class SpeechWorker:
    def __init__(self, speech: SpeechRuntime) -> None:
        self.speech = speech
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="speech-worker")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("speech job pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.speech.settings.speech_poll_seconds)

    async def run_due(self, limit: int = 50) -> int:
        """Run due jobs one after another (recognition is CPU-bound); return how many ran."""
        ran = 0
        while ran < limit and not self._stopping:
            job_id = await self._claim()
            if job_id is None:
                break
            await self._run(job_id)
            ran += 1
        return ran

    async def _claim(self) -> str | None:
        now = self.speech.clock.now()
        async with self.speech.sessionmaker() as session, session.begin():
            candidates = (
                await session.execute(
                    select(SpeechJob.id, SpeechJob.attempts)
                    .where(
                        SpeechJob.status.in_(("queued", "running")),
                        SpeechJob.run_at <= now,
                        or_(SpeechJob.locked_until.is_(None), SpeechJob.locked_until <= now),
                    )
                    .order_by(SpeechJob.run_at, SpeechJob.id)
                    .limit(5)
                )
            ).all()
            for job_id, attempts in candidates:
                claimed = await session.execute(
                    update(SpeechJob)
                    .where(
                        SpeechJob.id == job_id,
                        SpeechJob.attempts == attempts,
                        SpeechJob.status.in_(("queued", "running")),
                    )
                    .values(
                        status="running",
                        attempts=attempts + 1,
                        locked_until=now + LEASE,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if cast("CursorResult[Any]", claimed).rowcount == 1:
                    return str(job_id)
        return None

    async def _load(self, job_id: str) -> SpeechJob:
        async with self.speech.sessionmaker() as session:
            job = await session.get(SpeechJob, job_id)
            assert job is not None
            return job

    async def _run(self, job_id: str) -> None:
        from orbit_voice.speech import handlers

        job = await self._load(job_id)
        try:
            await handlers.run(self.speech, job)
        except Defer as defer:
            await self._settle(job, "queued", delay=defer.seconds, undo_attempt=True)
        except JobError as exc:
            last = exc.permanent or job.attempts >= job.max_attempts
            log.warning("speech job %s (%s) failed: %s", job.id, job.kind, exc.message)
            if last:
                await handlers.fail(self.speech, job, exc.code, exc.message)
            await self._settle(job, "failed" if last else "queued", error=exc.message)
        except Exception as exc:
            log.exception("speech job %s (%s) crashed", job.id, job.kind)
            message = f"{type(exc).__name__}: {exc}"
            if job.attempts >= job.max_attempts:
                await handlers.fail(self.speech, job, "processing_failed", message)
                await self._settle(job, "failed", error=message)
            else:
                await self._settle(job, "queued", error=message)
        # Success is settled by the handler, in the transaction that stores the results.

    async def _settle(
        self,
        job: SpeechJob,
        status: str,
        *,
        error: str | None = None,
        delay: float | None = None,
        undo_attempt: bool = False,
    ) -> None:
        now = self.speech.clock.now()
        values: dict[str, Any] = {"status": status, "locked_until": None, "updated_at": now}
        if error is not None:
            values["last_error"] = error[:MAX_ERROR_CHARS]
        if status == "failed":
            values["finished_at"] = now
        else:
            if delay is None:
                delay = RETRY_DELAYS_SECONDS[min(job.attempts, len(RETRY_DELAYS_SECONDS)) - 1]
            values["run_at"] = now + timedelta(seconds=delay)
        if undo_attempt:
            values["attempts"] = max(0, job.attempts - 1)
        async with self.speech.sessionmaker() as session, session.begin():
            await session.execute(
                update(SpeechJob)
                .where(SpeechJob.id == job.id, SpeechJob.attempts == job.attempts)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


async def complete(session: AsyncSession, job: SpeechJob, now: datetime) -> None:
    """Mark ``job`` done inside the handler's result transaction."""
    await session.execute(
        update(SpeechJob)
        .where(SpeechJob.id == job.id, SpeechJob.attempts == job.attempts)
        .values(status="completed", locked_until=None, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
