"""The default bounds of message correlation, shared by the tracker
(:mod:`logscan.sinks.messages`) and the config's ``[messages]`` section, which must not load the
tracker to know them (every command reads the config)."""

# 100k messages in flight is a busy relay's retry storm; the byte bound (estimated) keeps the
# worst case, 100k messages with 256-character senders and clients, near 100 MiB.
DEFAULT_MAX_MESSAGES = 100_000
DEFAULT_MAX_BYTES = 96 << 20
