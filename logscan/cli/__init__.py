"""The ``logscan`` command line: one module per command (contract in docs/design.md)."""
