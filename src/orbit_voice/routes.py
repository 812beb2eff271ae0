"""Every router under ``/v1/voice``."""

from fastapi import APIRouter

from orbit_voice.agents.router import router as agents
from orbit_voice.calls.router import recording_files
from orbit_voice.calls.router import router as calls
from orbit_voice.numbers.router import router as numbers
from orbit_voice.simulator.router import router as simulator
from orbit_voice.webhooks.router import router as webhooks

api_router = APIRouter(prefix="/v1/voice")
for _router in (calls, recording_files, numbers, agents, simulator, webhooks):
    api_router.include_router(_router)
