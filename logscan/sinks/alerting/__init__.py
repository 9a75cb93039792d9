"""Alerting: rules as data, their filter language, the engine (log-time windows), notifiers,
exports."""
