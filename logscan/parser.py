"""Deprecated import path (0.1) of :mod:`logscan.parsing.api`, kept for one release.

Plug-ins written against 0.1 import ``logscan.parser``; new code imports ``from logscan import
Parser``.
"""

from logscan.parsing.api import BlockResult, Parser

__all__ = ["BlockResult", "Parser"]
