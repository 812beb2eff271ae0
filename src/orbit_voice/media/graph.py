"""Who hears whom: the audio rules every media backend follows.

Parties are leg ids and ``operator(leg)`` (our side of a leg: prompts, hold music, an AI
agent). ``edges`` holds (speaker, listener) pairs that could hear each other; ``hears`` then
applies hold, mute and conference mutes. The simulator asks it who hears whom when it
synthesises recordings and answers tests; the SIP engine turns it into conference-bridge
connections (``links``), so the same rules drive the simulator's audio and the real RTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from orbit_voice.media.backend import MonitorMode

OPERATOR = "#operator"


def operator(leg_id: str) -> str:
    """The party on our side of a leg (the app, an AI agent): it hears and speaks to the leg."""
    return f"{leg_id}{OPERATOR}"


def leg_of(party: str) -> str:
    return party.split("#", 1)[0]


@dataclass
class LegState:
    active: bool = False  # connected (answered) and not ended
    held: bool = False
    muted: bool = False


@dataclass
class Room:
    members: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)


@dataclass
class AudioGraph:
    legs: dict[str, LegState] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)
    rooms: dict[str, Room] = field(default_factory=dict)
    monitors: dict[str, tuple[str, MonitorMode]] = field(default_factory=dict)

    # -- legs ---------------------------------------------------------------------------

    def add_leg(self, leg_id: str) -> LegState:
        return self.legs.setdefault(leg_id, LegState())

    def connect(self, leg_id: str) -> None:
        """The leg answered: it and its operator hear each other."""
        self.add_leg(leg_id).active = True
        self.link(leg_id, operator(leg_id))

    def remove_leg(self, leg_id: str) -> None:
        self.legs.pop(leg_id, None)
        self.edges = {e for e in self.edges if leg_of(e[0]) != leg_id and leg_of(e[1]) != leg_id}
        for room in self.rooms.values():
            room.members.discard(leg_id)
            room.muted.discard(leg_id)
        self.monitors.pop(leg_id, None)

    def link(self, a: str, b: str) -> None:
        self.edges |= {(a, b), (b, a)}

    def unlink(self, a: str, b: str) -> None:
        self.edges -= {(a, b), (b, a)}

    # -- bridging -----------------------------------------------------------------------

    def bridge(self, leg_a: str, leg_b: str) -> None:
        for leg_id in (leg_a, leg_b):
            self.unlink(leg_id, operator(leg_id))
        self.link(leg_a, leg_b)

    def unbridge(self, leg_a: str, leg_b: str) -> None:
        for leg_id in (leg_a, leg_b):
            state = self.legs.get(leg_id)
            if state is not None and state.active:
                self.link(leg_id, operator(leg_id))
        self.unlink(leg_a, leg_b)

    # -- conferences --------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        return self.rooms.setdefault(room_id, Room())

    def conference_join(self, room_id: str, leg_id: str, *, muted: bool) -> None:
        room = self.room(room_id)
        self.unlink(leg_id, operator(leg_id))
        for member in room.members:
            self.link(leg_id, member)
        room.members.add(leg_id)
        if muted:
            room.muted.add(leg_id)

    def conference_leave(self, room_id: str, leg_id: str) -> None:
        room = self.room(room_id)
        room.members.discard(leg_id)
        room.muted.discard(leg_id)
        for member in room.members:
            self.unlink(leg_id, member)

    def conference_mute(self, room_id: str, leg_id: str, on: bool) -> None:
        room = self.room(room_id)
        if on:
            room.muted.add(leg_id)
        else:
            room.muted.discard(leg_id)

    def conference_end(self, room_id: str) -> set[str]:
        room = self.rooms.pop(room_id, None)
        if room is None:
            return set()
        for member in room.members:
            for other in room.members:
                self.unlink(member, other)
        return room.members

    # -- supervisor monitoring ----------------------------------------------------------

    def monitor(
        self, call_leg: str, agent_leg: str | None, supervisor_leg: str, mode: MonitorMode
    ) -> None:
        self.unmonitor(supervisor_leg)
        agent = agent_leg or operator(call_leg)
        self.unlink(supervisor_leg, operator(supervisor_leg))
        hear_from = {(call_leg, supervisor_leg), (agent, supervisor_leg)}
        if mode in ("whisper", "barge"):
            hear_from.add((supervisor_leg, agent))
        if mode == "barge":
            hear_from.add((supervisor_leg, call_leg))
        self.edges |= hear_from
        self.monitors[supervisor_leg] = (call_leg, mode)

    def unmonitor(self, supervisor_leg: str) -> None:
        self.monitors.pop(supervisor_leg, None)
        self.edges = {e for e in self.edges if supervisor_leg not in e}

    # -- the rules ----------------------------------------------------------------------

    def _active(self, party: str) -> bool:
        state = self.legs.get(leg_of(party))
        return state is not None and state.active

    def hears(self, listener: str, speaker: str) -> bool:
        """Whether ``listener`` hears ``speaker`` right now (leg ids, or ``operator(leg)``)."""
        if (speaker, listener) not in self.edges:
            return False
        if not (self._active(listener) and self._active(speaker)):
            return False
        for party in (listener, speaker):
            state = self.legs.get(party)
            if state is not None and state.held:
                return False
        far_end = self.legs.get(listener)
        if speaker == operator(listener) and far_end is not None and far_end.muted:
            return False
        return not any(
            speaker in room.muted and listener in room.members for room in self.rooms.values()
        )

    def speakers_heard_by(self, listener: str) -> list[str]:
        return sorted(s for s, lis in self.edges if lis == listener and self.hears(listener, s))

    def far_end_audible(self, leg_id: str) -> bool:
        """Whether what the leg's far end says is being received (connected, not on hold)."""
        state = self.legs.get(leg_id)
        return state is not None and state.active and not state.held

    def links(
        self,
        sources: Callable[[str], Iterable[int]],
        sinks: Callable[[str], Iterable[int]],
    ) -> set[tuple[int, int]]:
        """Conference-bridge connections (source port, sink port) the rules call for."""
        wanted: set[tuple[int, int]] = set()
        for speaker, listener in self.edges:
            if not self.hears(listener, speaker):
                continue
            for src in sources(speaker):
                for dst in sinks(listener):
                    if src != dst:
                        wanted.add((src, dst))
        return wanted
