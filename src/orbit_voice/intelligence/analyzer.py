"""Post-call analysis of a transcript: pure functions, no I/O (run on the speech thread pool).

Sentiment is VADER's compound score (-1..1) per utterance. The caller's trajectory compares
the mean of the first third of their utterances with the last third. The summary is
extractive: the sentences with the most content words that recur in the call, in call order.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

POSITIVE = 0.05  # VADER's own cut-offs for a positive / negative compound score
NEGATIVE = -0.05
TRAJECTORY_DELTA = 0.2
FRUSTRATION_AT = -0.3
SATISFACTION_AT = 0.4
SUMMARY_SENTENCES = 3

DEFAULT_INTENTS: dict[str, list[str]] = {
    "billing_dispute": [
        "charged twice", "double charge", "duplicate charge", "overcharged", "wrong charge",
        "refund", "billing", "my bill", "invoice", "charged",
    ],
    "cancellation": ["cancel", "cancellation", "close my account", "terminate", "unsubscribe"],
    "technical_support": [
        "not working", "doesn't work", "does not work", "internet", "connection", "error",
        "broken", "outage", "dropping", "crash", "reset", "password",
    ],
    "order_status": ["where is my order", "delivery", "shipping", "tracking", "package"],
    "sales_inquiry": ["pricing", "how much", "upgrade", "buy", "purchase", "quote"],
}  # fmt: skip

RESOLUTION_PHRASES = [
    "refund", "i can help", "i will", "i'll", "we will", "we'll", "let me", "i have fixed",
    "i've fixed", "resolved", "credit", "replace", "send you", "i can fix", "taken care of",
    "i have reset", "i've reset", "i have cancelled", "i've cancelled", "escalate",
]  # fmt: skip

REPEAT_PHRASES = ["already told", "already said", "as i said", "i said", "again", "repeat"]

_COMMITMENT = re.compile(
    # A commitment anywhere in the sentence ("I apologize, I will send ...").
    r"\b(?:i\s+will|i'll|i\s+am\s+going\s+to|i'm\s+going\s+to|we\s+will|we'll|"
    r"we\s+are\s+going\s+to|we're\s+going\s+to|let\s+me|i\s+can|i\s+shall)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9']+")
_STOP_WORDS = (
    "a an and are as at be been but by can could did do does for from had has have "
    "hello hi how i i'm i'll is it it's its just me my no not of oh ok okay on or "
    "our please so that the their them then there they this to um uh was we we'll "
    "were what when where which who will with would yes you you're your yeah thank "
    "thanks "
)
_STOP = frozenset(_STOP_WORDS.split())


@functools.lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def category(score: float) -> str:
    if score >= POSITIVE:
        return "positive"
    if score <= NEGATIVE:
        return "negative"
    return "neutral"


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def contains(text: str, phrase: str) -> bool:
    """Whole-word, case- and punctuation-insensitive phrase match."""
    needle = normalise(phrase)
    return bool(needle) and f" {needle} " in f" {normalise(text)} "


@dataclass(frozen=True)
class Utterance:
    speaker: str  # caller | agent
    text: str
    start: float  # seconds from the start of the call


@dataclass(frozen=True)
class CallFacts:
    """What the call itself tells besides the words."""

    duration_seconds: float = 0.0
    holds: int = 0
    transfers: int = 0


@dataclass
class Analysis:
    summary: str
    overall: str
    trajectory: str
    agent_score: float | None
    caller_score: float | None
    utterances: list[dict[str, Any]]
    key_moments: list[dict[str, Any]]
    action_items: list[str]
    customer_effort_score: float
    effort_factors: dict[str, Any]
    compliance_flags: list[dict[str, Any]] = field(default_factory=list)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _to_unit(score: float | None) -> float | None:
    return None if score is None else round((score + 1) / 2, 2)


def _thirds(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    n = max(1, len(values) // 3)
    return sum(values[:n]) / n, sum(values[-n:]) / n


def sentiment(scored: list[tuple[Utterance, float]]) -> tuple[str, str, float | None, float | None]:
    caller = [s for u, s in scored if u.speaker == "caller"]
    agent = [s for u, s in scored if u.speaker == "agent"]
    everyone = [s for _, s in scored]
    # The customer's feelings carry the call; without them, everyone's.
    basis = caller or everyone
    thirds = _thirds(basis)
    trajectory = "stable"
    overall = category(_mean(basis) or 0.0)
    if thirds is not None:
        start, end = thirds
        if end - start >= TRAJECTORY_DELTA:
            trajectory = "improved"
        elif start - end >= TRAJECTORY_DELTA:
            trajectory = "declined"
        if category(start) != category(end) and trajectory != "stable":
            overall = f"{category(start)}_to_{category(end)}"
    return overall, trajectory, _to_unit(_mean(agent)), _to_unit(_mean(caller))


def _sentences(utterances: list[Utterance]) -> list[tuple[Utterance, str]]:
    out = []
    for u in utterances:
        for sentence in _SENTENCE.split(u.text.strip()):
            if sentence.strip():
                out.append((u, sentence.strip()))
    return out


def summarise(utterances: list[Utterance], limit: int = SUMMARY_SENTENCES) -> str:
    sentences = _sentences(utterances)
    if not sentences:
        return ""
    counts: dict[str, int] = {}
    for _, s in sentences:
        for w in set(_WORD.findall(s.lower())) - _STOP:
            counts[w] = counts.get(w, 0) + 1

    def weight(item: tuple[int, tuple[Utterance, str]]) -> float:
        _, (_, s) = item
        words = [w for w in _WORD.findall(s.lower()) if w not in _STOP]
        if len(words) < 2:
            return 0.0
        return float(sum(counts[w] for w in set(words)) / (len(words) ** 0.5))

    ranked = sorted(enumerate(sentences), key=weight, reverse=True)[:limit]
    chosen = sorted((i, item) for i, item in ranked if weight((i, item)) > 0)
    if not chosen:
        chosen = [(0, sentences[0])]
    return " ".join(f"{u.speaker.capitalize()}: {s}" for _, (u, s) in chosen)


def key_moments(
    scored: list[tuple[Utterance, float]], intents: dict[str, list[str]]
) -> list[dict[str, Any]]:
    moments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for u, _ in scored:
        for label, keywords in intents.items():
            if label not in seen and any(contains(u.text, k) for k in keywords):
                seen.add(label)
                moments.append({"ts": round(u.start), "type": "intent_detected", "label": label})
    caller = [(u, s) for u, s in scored if u.speaker == "caller"]
    peak = min(caller, key=lambda us: us[1], default=None)
    if peak is not None and peak[1] <= FRUSTRATION_AT:
        moments.append(
            {"ts": round(peak[0].start), "type": "frustration_peak", "score": round(-peak[1], 2)}
        )
    after = peak[0].start if peak is not None and peak[1] <= FRUSTRATION_AT else -1.0
    for u, _ in scored:
        if (
            u.speaker == "agent"
            and u.start >= after
            and any(contains(u.text, p) for p in RESOLUTION_PHRASES)
        ):
            moments.append({"ts": round(u.start), "type": "resolution_offered"})
            break
    happy = [(u, s) for u, s in caller if u.start > after and s >= SATISFACTION_AT]
    if happy:
        best = max(happy, key=lambda us: us[1])
        moments.append(
            {"ts": round(best[0].start), "type": "satisfaction_signal", "score": round(best[1], 2)}
        )
    return sorted(moments, key=lambda m: (m["ts"], m["type"]))


def action_items(utterances: list[Utterance]) -> list[str]:
    items: list[str] = []
    for u, sentence in _sentences(utterances):
        if u.speaker != "agent":
            continue
        match = _COMMITMENT.search(sentence)
        if match is None:
            continue
        rest = match.group("rest").strip().rstrip(".!?")
        if len(rest.split()) < 2 or rest.lower().startswith(("help you", "see ", "check if")):
            continue
        item = rest[0].upper() + rest[1:]
        if item not in items:
            items.append(item)
    return items


def _similar(a: str, b: str) -> bool:
    wa, wb = set(normalise(a).split()) - _STOP, set(normalise(b).split()) - _STOP
    if len(wa) < 3 or len(wb) < 3:
        return False
    return len(wa & wb) / len(wa | wb) >= 0.6


def effort(scored: list[tuple[Utterance, float]], facts: CallFacts) -> tuple[float, dict[str, Any]]:
    """Customer effort score, 1 (effortless) .. 5 (very hard)::

    CES = clamp(1 + 0.5·min(repeats, 4) + 0.5·min(holds, 4) + 0.75·min(transfers, 3)
                  + 1.5·negative_share + min(1, max(0, minutes - 5) / 10), 1, 5)
    """
    caller = [(u, s) for u, s in scored if u.speaker == "caller"]
    repeats = 0
    for i, (u, _) in enumerate(caller):
        earlier = [v for v, _ in caller[:i]]
        if any(_similar(u.text, v.text) for v in earlier) or any(
            contains(u.text, p) for p in REPEAT_PHRASES
        ):
            repeats += 1
    negative_share = sum(1 for _, s in caller if s <= NEGATIVE) / len(caller) if caller else 0.0
    minutes = facts.duration_seconds / 60.0
    score = (
        1
        + 0.5 * min(repeats, 4)
        + 0.5 * min(facts.holds, 4)
        + 0.75 * min(facts.transfers, 3)
        + 1.5 * negative_share
        + min(1.0, max(0.0, minutes - 5) / 10)
    )
    factors = {
        "repeats": repeats,
        "holds": facts.holds,
        "transfers": facts.transfers,
        "negative_share": round(negative_share, 2),
        "minutes": round(minutes, 1),
    }
    return round(min(5.0, max(1.0, score)), 1), factors


def compliance(
    utterances: list[Utterance], required: list[str], forbidden: list[str]
) -> list[dict[str, Any]]:
    agent = [u for u in utterances if u.speaker == "agent"]
    flags: list[dict[str, Any]] = []
    for phrase in required:
        if not any(contains(u.text, phrase) for u in agent):
            flags.append({"type": "missing_required_phrase", "phrase": phrase})
    for phrase in forbidden:
        for u in agent:
            if contains(u.text, phrase):
                flags.append({"type": "forbidden_phrase", "phrase": phrase, "ts": round(u.start)})
                break
    return flags


def analyse(
    utterances: list[Utterance],
    facts: CallFacts,
    *,
    intents: dict[str, list[str]],
    required: list[str],
    forbidden: list[str],
) -> Analysis:
    utterances = sorted(utterances, key=lambda u: u.start)
    scored = [(u, compound(u.text)) for u in utterances]
    overall, trajectory, agent_score, caller_score = sentiment(scored)
    ces, factors = effort(scored, facts)
    return Analysis(
        summary=summarise(utterances),
        overall=overall,
        trajectory=trajectory,
        agent_score=agent_score,
        caller_score=caller_score,
        utterances=[
            {"speaker": u.speaker, "ts": round(u.start, 1), "text": u.text, "score": round(s, 3)}
            for u, s in scored
        ],
        key_moments=key_moments(scored, intents),
        action_items=action_items(utterances),
        customer_effort_score=ces,
        effort_factors=factors,
        compliance_flags=compliance(utterances, required, forbidden),
    )
