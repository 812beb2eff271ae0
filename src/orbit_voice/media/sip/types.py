"""Plain data crossing the engine thread's boundary (no pjsua2 import here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from orbit_voice.media.backend import MediaEvent


@dataclass(frozen=True)
class TrunkAuth:
    username: str | None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SipInvite:
    """An INVITE waiting for a decision: ``claim`` it as a leg or ``refuse`` it."""

    token: str
    sip_call_id: str
    source_host: str
    source_port: int
    request_user: str  # user part of the Request-URI (the number dialled)
    to_user: str
    from_user: str
    # The transport PJSIP received the INVITE on ("udp", "tcp", "tls"; "" if unreadable),
    # not what its Via claims, and whether its SDP offered SRTP (RTP/SAVP or a=crypto).
    transport: str = ""
    srtp_offered: bool = False

    @property
    def secure(self) -> bool:
        return self.transport == "tls"


@dataclass(frozen=True)
class TapClosed:
    """The engine sent the last live audio of a leg (this follows it, in order). ``then``:
    media events held back until that audio had reached the audio sink (a far end's hangup,
    which closes the call's live transcript)."""

    leg_id: str
    then: tuple[MediaEvent, ...] = ()
