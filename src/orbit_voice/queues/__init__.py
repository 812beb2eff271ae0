"""Call queues: callers wait (hold music) until a member agent is free, picked by a strategy."""
