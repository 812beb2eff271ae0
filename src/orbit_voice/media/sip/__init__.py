"""The PJSIP media engine (live keys): ``SipBackend`` implements the MediaBackend Protocol.

adapter.SipBackend ──commands──► engine.Engine (one thread owns every pjsua2 object)
        ▲                                  │
        └──── events (call_soon_threadsafe)┘
"""

from orbit_voice.media.sip.adapter import SipBackend

__all__ = ["SipBackend"]
