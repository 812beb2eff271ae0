"""What the call core asks of the packages above it, without importing them.

Placing a call checks things other packages own: the ``from`` number is one of the org's, an
``agent_id``/``ivr_id``/extension exists, a live leg has a route (a trunk, an agent's phone).
Those packages answer through this ``Directory``, installed at start-up by
``orbit_voice.wiring``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.config import Settings
from orbit_voice.media.backend import DirectRoute, TrunkRoute

# (session, org_id, e164) -> whether the org holds that number
NumberOwned = Callable[[AsyncSession, str, str], Awaitable[bool]]
# (session, org_id, kind, id, param): raises Invalid naming ``param`` unless ``id`` is an
# existing ``kind`` (agent, ivr, extension) of the org
CheckTarget = Callable[[AsyncSession, str, str, str, str], Awaitable[object]]
# (session, settings, org_id, from_number, param): the org's trunk for ``from`` (422 no_trunk)
TrunkRouteFor = Callable[[AsyncSession, Settings, str, str, str], Awaitable[TrunkRoute]]
# (session, settings, org_id, to, from_number, param): where a live leg to ``to`` goes
LiveRouteFor = Callable[
    [AsyncSession, Settings, str, str, str, str], Awaitable[TrunkRoute | DirectRoute | None]
]


@dataclass(frozen=True)
class Directory:
    number_owned: NumberOwned
    check_target: CheckTarget
    trunk_route: TrunkRouteFor
    live_route: LiveRouteFor


_installed: list[Directory] = []


def install(directory: Directory) -> None:
    _installed[:] = [directory]


def directory() -> Directory:
    if not _installed:
        raise RuntimeError("the call directory is not installed (orbit_voice.wiring.install)")
    return _installed[0]
