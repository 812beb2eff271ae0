"""The simulator's audio routing: who hears whom, as the SIP engine's bridge will route it."""

from __future__ import annotations

from pathlib import Path

from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.backend import OriginateRequest
from orbit_voice.media.graph import operator
from orbit_voice.media.sim import SimBackend


async def connected(sim: SimBackend, clock: FakeClock, *legs: str) -> None:
    for leg in legs:
        await sim.originate(OriginateRequest(leg, "org", "+14155550100", "+12025551234", 30))
    await clock.advance(2)


async def test_operator_mute_and_hold(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = SimBackend(clock, data_dir=tmp_path)
    await connected(sim, clock, "a")
    op = operator("a")
    assert sim.hears("a", op) and sim.hears(op, "a")
    await sim.mute("a", True)
    assert not sim.hears("a", op)  # the far end no longer hears the operator
    assert sim.hears(op, "a")  # but is still heard
    await sim.mute("a", False)
    await sim.hold("a", True)
    assert not sim.hears("a", op) and not sim.hears(op, "a")
    await clock.shutdown()


async def test_bridge_drops_the_operator(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = SimBackend(clock, data_dir=tmp_path)
    await connected(sim, clock, "a", "b")
    await sim.bridge("a", "b")
    assert sim.hears("a", "b") and sim.hears("b", "a")
    assert not sim.hears("a", operator("a"))
    await sim.unbridge("a", "b")
    assert not sim.hears("a", "b") and sim.hears("a", operator("a"))
    await clock.shutdown()


async def test_conference_mute(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = SimBackend(clock, data_dir=tmp_path)
    await connected(sim, clock, "a", "b", "c")
    for leg in "abc":
        await sim.conference_join("room", leg, muted=leg == "c")
    assert sim.hears("a", "b") and sim.hears("c", "a")
    assert not sim.hears("a", "c")  # c is muted but still hears the room
    await sim.conference_mute("room", "c", False)
    assert sim.hears("a", "c")
    await sim.conference_leave("room", "b")
    assert not sim.hears("a", "b")
    await clock.shutdown()


async def test_monitor_modes(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = SimBackend(clock, data_dir=tmp_path)
    await connected(sim, clock, "caller", "agent", "sup")
    await sim.bridge("caller", "agent")
    await sim.monitor("caller", "agent", "sup", "listen")
    assert sim.hears("sup", "caller") and sim.hears("sup", "agent")
    assert not sim.hears("caller", "sup") and not sim.hears("agent", "sup")
    await sim.monitor("caller", "agent", "sup", "whisper")
    assert sim.hears("agent", "sup") and not sim.hears("caller", "sup")
    await sim.monitor("caller", "agent", "sup", "barge")
    assert sim.hears("agent", "sup") and sim.hears("caller", "sup")
    await sim.unmonitor("sup")
    assert not sim.hears("sup", "caller") and not sim.hears("agent", "sup")
    assert sim.hears("caller", "agent")
    await clock.shutdown()
