"""The metrics endpoint: a small hardened HTTP server, basic auth, TLS, the exporter-toolkit web
config."""
