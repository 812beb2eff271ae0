"""Every router under ``/v1/voice``."""

from fastapi import APIRouter

from orbit_voice.agents.router import router as agents
from orbit_voice.api.envelope import ERROR_RESPONSES
from orbit_voice.calendars.router import router as calendars
from orbit_voice.calls.router import recording_files
from orbit_voice.calls.router import router as calls
from orbit_voice.clones.router import router as clones
from orbit_voice.conferences.router import recording_files as conference_recording_files
from orbit_voice.conferences.router import router as conferences
from orbit_voice.intelligence.router import router as intelligence
from orbit_voice.ivr.router import router as ivr
from orbit_voice.monitoring.router import router as monitoring
from orbit_voice.numbers.router import router as numbers
from orbit_voice.quality.router import router as quality
from orbit_voice.queues.router import router as queues
from orbit_voice.ring_groups.router import router as ring_groups
from orbit_voice.simulator.router import router as simulator
from orbit_voice.sip_credentials.router import router as sip_credentials
from orbit_voice.softphone.router import router as softphone
from orbit_voice.speech.sim_router import router as simulator_speech
from orbit_voice.transcripts.router import router as transcripts
from orbit_voice.trunks.router import router as trunks
from orbit_voice.voicemail.router import boxes as voicemail_boxes
from orbit_voice.voicemail.router import messages as voicemail_messages
from orbit_voice.webhooks.router import router as webhooks

# Every operation documents the error envelope it can answer with.
api_router = APIRouter(prefix="/v1/voice", responses=ERROR_RESPONSES)
for _router in (calls, recording_files, numbers, agents, simulator, webhooks):
    api_router.include_router(_router)

# SIP trunks, credentials, softphone, clones
for _router in (trunks, sip_credentials, softphone, clones):
    api_router.include_router(_router)

# Conferences and supervisor monitoring
for _router in (conferences, conference_recording_files, monitoring):
    api_router.include_router(_router)

# Routing: IVR flows, business-hours calendars, voicemail boxes and messages
for _router in (ivr, calendars, voicemail_boxes, voicemail_messages):
    api_router.include_router(_router)

# Queues (with agents' presence) and ring groups
for _router in (queues, ring_groups):
    api_router.include_router(_router)

# Speech: transcripts (live and post-call), intelligence, voice quality, simulator speech
for _router in (transcripts, intelligence, quality, simulator_speech):
    api_router.include_router(_router)
