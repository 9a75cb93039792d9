"""Integration tests: the real daemon as a process, with real Prometheus and Alertmanager."""
