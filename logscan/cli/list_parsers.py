"""``logscan parsers``: the registered parsers and where each comes from."""

from __future__ import annotations

import argparse

from logscan.parsing.registry import Registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    registry = Registry.load()
    if not registry.parsers:
        print("no parsers registered (is logscan installed with its entry points?)")
        return 1
    for name in sorted(registry.parsers):
        info = registry.parsers[name]
        desc = info.cls.description if info.cls else f"FAILED TO LOAD: {info.error}"
        print(f"{name:<12} {desc}\n{'':<12} from {info.origin}")
    return 0
