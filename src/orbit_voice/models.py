"""Every table, imported in one place for Alembic and the tests."""

from orbit_voice.agents.models import Agent
from orbit_voice.calendars.models import Calendar
from orbit_voice.calls.models import Call, CallEvent, Recording
from orbit_voice.clones.models import VoiceClone
from orbit_voice.conferences.models import (
    Conference,
    ConferenceParticipant,
    ConferenceRecording,
)
from orbit_voice.db import Base
from orbit_voice.idempotency.models import IdempotencyRecord
from orbit_voice.intelligence.models import CallIntelligence, IntelligenceSettings
from orbit_voice.ivr.models import IvrFlow
from orbit_voice.monitoring.models import CallMonitor
from orbit_voice.numbers.models import Number
from orbit_voice.orgs.models import ApiKey, Org
from orbit_voice.quality.models import CallQuality
from orbit_voice.queues.models import Queue, QueueEntry
from orbit_voice.ring_groups.models import RingGroup, RingGroupCall
from orbit_voice.routing.models import CallGather
from orbit_voice.sip_credentials.models import Extension, SipCredential
from orbit_voice.speech.models import SpeechJob
from orbit_voice.transcripts.models import Transcript, TranscriptChunk
from orbit_voice.trunks.models import Trunk
from orbit_voice.voicemail.models import VoicemailBox, VoicemailMessage
from orbit_voice.webhooks.models import WebhookAttempt, WebhookEvent

__all__ = [
    "Agent",
    "ApiKey",
    "Base",
    "Calendar",
    "Call",
    "CallEvent",
    "CallGather",
    "CallIntelligence",
    "CallMonitor",
    "CallQuality",
    "Conference",
    "ConferenceParticipant",
    "ConferenceRecording",
    "Extension",
    "IdempotencyRecord",
    "IntelligenceSettings",
    "IvrFlow",
    "Number",
    "Org",
    "Queue",
    "QueueEntry",
    "Recording",
    "RingGroup",
    "RingGroupCall",
    "SipCredential",
    "SpeechJob",
    "Transcript",
    "TranscriptChunk",
    "Trunk",
    "VoiceClone",
    "VoicemailBox",
    "VoicemailMessage",
    "WebhookAttempt",
    "WebhookEvent",
]
