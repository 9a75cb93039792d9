"""The package imports, the CLI answers, and the built-in rules load."""

from logscan.classify.classifier import Classifier
from logscan.cli.main import main


def test_cli_without_command_is_usage_error() -> None:
    assert main([]) == 2


def test_builtin_rules_load() -> None:
    clf = Classifier.load()
    assert clf.catalogue.basic
    assert clf.signatures.ordered
