"""Unit tests, one folder per pipeline stage (the tree of logscan/)."""
