from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from orbit_voice.api.schemas import Input, Output, Timestamp

_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class UtteranceSentiment(Output):
    speaker: str
    ts: float = Field(description="Seconds from the answer")
    text: str
    score: float = Field(description="VADER compound score, -1..1")


class SentimentOut(Output):
    overall: str = Field(description="positive | neutral | negative, or e.g. negative_to_positive")
    trajectory: str = Field(description="improved | declined | stable (the caller's)")
    agent_score: float | None = Field(description="0..1, mean agent sentiment")
    caller_score: float | None = Field(description="0..1, mean caller sentiment")
    utterances: list[UtteranceSentiment]


class IntelligenceOut(Output):
    call_id: str
    agent_id: str | None
    summary: str
    sentiment: SentimentOut
    key_moments: list[dict[str, Any]]
    action_items: list[str]
    customer_effort_score: float = Field(description="1 (effortless) .. 5")
    customer_effort_factors: dict[str, Any]
    agent_compliance_flags: list[dict[str, Any]]
    language: str
    processed_at: Timestamp


class IntelligenceSettingsOut(Output):
    intents: dict[str, list[str]] = Field(description="Intent label → keywords or phrases")
    required_phrases: list[str] = Field(description="Phrases an agent must say on every call")
    forbidden_phrases: list[str] = Field(description="Phrases an agent must never say")
    is_default: bool


class IntelligenceSettingsIn(Input):
    intents: dict[str, list[Phrase]] | None = Field(default=None, max_length=50)
    required_phrases: list[Phrase] | None = Field(default=None, max_length=50)
    forbidden_phrases: list[Phrase] | None = Field(default=None, max_length=50)

    @field_validator("intents")
    @classmethod
    def _labels(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is None:
            return value
        for label, keywords in value.items():
            if not _LABEL.match(label):
                raise ValueError(
                    f"intent label '{label}' must be snake_case (a-z, 0-9, _), up to 64 chars"
                )
            if not keywords or len(keywords) > 50:
                raise ValueError(f"intent '{label}' needs 1 to 50 keywords")
        return value


class TrendPoint(Output):
    bucket_start: Timestamp
    calls: int
    avg_caller_score: float | None
    avg_agent_score: float | None
    avg_customer_effort_score: float | None
    positive: int
    neutral: int
    negative: int
    improved: int
    declined: int
