"""orbit-voice: a self-hosted, API-compatible implementation of the Orbit Voice API."""

__version__ = "0.1.0"
