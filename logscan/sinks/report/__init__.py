"""The ``logscan scan`` report: sums, traffic, gaps; rendered as a table, JSON or HTML."""
