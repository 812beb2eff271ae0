"""Voice clones: validated speaker samples turned into TTS voice parameters."""
