"""Helpers the tests share: real processes (daemon, Prometheus, Alertmanager), corpora, models."""
