"""Parsing: log lines become events. The plug-in API, the registry, and what MTAs' logs share."""
