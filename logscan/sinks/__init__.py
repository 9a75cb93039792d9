"""Sinks consume classified events: metrics, the scan report, message correlation, alerting."""
