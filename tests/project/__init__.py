"""The project as shipped: README commands, locks, deploy kit (systemd, Prometheus, Grafana)."""
