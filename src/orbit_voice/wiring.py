"""How the packages are put together: every reaction to the call lifecycle, every routing
action, keypad gatherer and routing target, and the answers the call core asks for, in one
place, in the order they run.

Lower packages declare what can be plugged in (``calls.lifecycle``, ``calls.directory``,
``routing.executor``, ``routing.gather``, ``routing.targets``); the packages above them
provide it; only this module, at the top, imports both sides.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents import presence
from orbit_voice.agents import service as agents
from orbit_voice.agents.models import Agent
from orbit_voice.calls import directory
from orbit_voice.calls import lifecycle as life
from orbit_voice.calls.models import Call
from orbit_voice.conferences import dialin
from orbit_voice.conferences import legs as conference_legs
from orbit_voice.config import Settings
from orbit_voice.ivr import runner as ivr
from orbit_voice.ivr.models import IvrFlow
from orbit_voice.media.backend import DirectRoute, TrunkRoute
from orbit_voice.media.sip import routes as sip_routes
from orbit_voice.monitoring import service as monitoring
from orbit_voice.numbers import inbound
from orbit_voice.numbers import service as numbers
from orbit_voice.quality import service as quality
from orbit_voice.queues import hooks as queue_hooks
from orbit_voice.queues import service as queues
from orbit_voice.queues.models import Queue
from orbit_voice.ring_groups import service as ring_groups
from orbit_voice.ring_groups.models import RingGroup
from orbit_voice.routing import entry, executor, gather, targets
from orbit_voice.runtime import Runtime
from orbit_voice.sip_credentials.service import find_extension
from orbit_voice.speech import hooks as speech_hooks
from orbit_voice.voicemail import notify as voicemail_notify
from orbit_voice.voicemail import runner as voicemail
from orbit_voice.voicemail.models import VoicemailBox

_installed: list[bool] = []


def install() -> None:
    """Plug every package in (once per process; each app created after shares it)."""
    if _installed:
        return
    _lifecycle()
    _routing()
    directory.install(
        directory.Directory(
            number_owned=_number_owned,
            check_target=targets.check,
            trunk_route=_trunk_route,
            live_route=_live_route,
        )
    )
    _installed.append(True)


def _lifecycle() -> None:
    bus = life.bus
    bus.subscribe(life.InboundRinging, inbound.schedule_inbound)
    # Each of these looks at the leg's role; at most one of them acts on a leg.
    bus.subscribe(life.LegAnswered, conference_legs.leg_answered)
    bus.subscribe(life.LegAnswered, monitoring.supervisor_answered)
    bus.subscribe(life.LegAnswered, queue_hooks.on_leg_answered)
    bus.subscribe(life.LegAnswered, entry.route_answered_outbound)
    bus.subscribe(life.DigitReceived, gather.on_digit)
    bus.subscribe(life.LegEnding, gather.on_call_end)
    bus.subscribe(life.LegEnded, conference_legs.leg_ended)
    bus.subscribe(life.LegEnded, monitoring.supervisor_ended)
    bus.subscribe(life.LegEnded, queue_hooks.on_call_ended)
    bus.subscribe(life.LegEnded, speech_hooks.call_ended)
    bus.subscribe(life.QualitySampled, quality.on_quality_sampled)
    bus.subscribe(life.NodeRestarted, presence.resume_wrap_ups)
    bus.subscribe(life.NodeRestarted, voicemail_notify.resend_pending)


def _routing() -> None:
    executor.register("agent", agents.connect_to_agent)
    executor.register("transfer_agent", agents.connect_to_agent)
    executor.register("ivr", ivr.start)
    executor.register("submenu", ivr.start)
    executor.register("queue", queues.enqueue)
    executor.register("ring_group", ring_groups.ring)
    executor.register_optional("voicemail", voicemail.start)
    executor.register_optional("conference", _conference_pin)

    gather.register("ivr", gather.Gatherer(ivr.on_digit, barge_in=True))
    gather.register("voicemail", gather.Gatherer(voicemail.on_digit, voicemail.on_call_end))
    gather.register(
        "conference_pin", gather.Gatherer(dialin.on_digit, dialin.on_call_end, barge_in=True)
    )

    targets.register("agent", targets.model_finder(Agent), code="agent_not_found", noun="agent")
    targets.register("ivr", targets.model_finder(IvrFlow), code="ivr_not_found", noun="IVR flow")
    targets.register("queue", targets.model_finder(Queue), code="queue_not_found", noun="queue")
    targets.register(
        "ring_group",
        targets.model_finder(RingGroup),
        code="ring_group_not_found",
        noun="ring group",
    )
    targets.register(
        "voicemail",
        targets.model_finder(VoicemailBox),
        code="voicemail_not_found",
        noun="voicemail box",
    )
    targets.register("extension", _extension_exists, code="extension_not_found", noun="extension")


async def _conference_pin(
    session: AsyncSession, rt: Runtime, call: Call, target: str | None
) -> None:
    await dialin.start_pin_prompt(session, rt, call)


async def _extension_exists(session: AsyncSession, org_id: str, extension_id: str) -> bool:
    return await find_extension(session, org_id, extension_id) is not None


async def _number_owned(session: AsyncSession, org_id: str, e164: str) -> bool:
    return await numbers.find_owned(session, org_id, e164) is not None


async def _trunk_route(
    session: AsyncSession, settings: Settings, org_id: str, from_number: str, param: str
) -> TrunkRoute:
    return await sip_routes.require_trunk(session, settings, org_id, from_number, param=param)


async def _live_route(
    session: AsyncSession, settings: Settings, org_id: str, to: str, from_: str, param: str
) -> TrunkRoute | DirectRoute | None:
    return await sip_routes.live_route(session, settings, org_id, to, from_, param=param)
