"""The daemon: its config, the loop that runs sources into pipelines and sinks, the endpoint,
systemd."""
