"""Every module of the built-in parsers: the examples in its docstrings hold (pytest collects
doctests under logscan/ only; the parsers, packages now, are walked here), and it is short."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import parsers
from tests.helpers.paths import REPO

MODULES = sorted(info.name for info in pkgutil.walk_packages(parsers.__path__, prefix="parsers."))


def test_every_parser_package_is_walked() -> None:
    assert {"parsers.postfix.replies", "parsers.exim.texts", "parsers.sendmail"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_no_parser_module_is_over_400_lines() -> None:
    """Issue 13: a parser keeps only what is specific to its MTA, in modules one can read."""
    roots = [importlib.import_module(n) for n in ("parsers", "logscan.parsing")]
    long = {
        str(path.relative_to(REPO)): n
        for root in roots
        for path in Path(root.__path__[0]).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
