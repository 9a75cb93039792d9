"""The composition root: a config, checked whole, becomes what ``run`` starts.

``run``, ``check-config`` and a SIGHUP reload all go through :func:`load`: the parsers the
sources name must be installed, the rule files are parsed once and feed the classifier and the
alert rules alike, the web config (TLS, basic auth) is read, and the ``[alerting]`` section was
checked when the config was parsed. Any fault raises one of :data:`LOAD_ERRORS`, naming the
file and the key::

    >>> from logscan.app.config import DEFAULT_TOML, parse_config
    >>> app = load(parse_config(DEFAULT_TOML, "<embedded default>"))
    >>> app.config.sources[0].name, len(app.alert_rules) > 0
    ('mail', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from logscan.app.config import Config, ConfigError
from logscan.app.endpoint.web_config import WebConfig, WebConfigError, load_web_config
from logscan.classify.catalogue import Catalogue
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError, RuleFile, load_rule_files
from logscan.classify.signatures import Signatures
from logscan.parsing.registry import Registry
from logscan.sinks.alerting.rules import AlertRule, load_alert_rules
from logscan.sinks.alerting.settings import AlertingConfigError

# What a bad config, rule file or web config raises (each names its file and key).
LOAD_ERRORS = (ConfigError, RuleError, WebConfigError, AlertingConfigError)


@dataclass(frozen=True)
class App:
    """A checked config and what it makes: parsers, rules (parsed once), web config."""

    config: Config
    registry: Registry
    rule_files: tuple[RuleFile, ...]
    classifier: Classifier
    alert_rules: tuple[AlertRule, ...]
    web: WebConfig


def load(config: Config, registry: Registry | None = None) -> App:
    """Check everything ``config`` names and build it; raise one of :data:`LOAD_ERRORS`."""
    registry = registry if registry is not None else Registry.load()
    _check_parsers(config, registry)
    files = tuple(load_rule_files([Path(d) for d in config.rules_dirs]))
    classifier = Classifier(Catalogue.from_files(files), Signatures.from_files(files))
    return App(
        config=config,
        registry=registry,
        rule_files=files,
        classifier=classifier,
        alert_rules=tuple(load_alert_rules(files)),
        web=load_web_config(config.web_config),
    )


def _check_parsers(config: Config, registry: Registry) -> None:
    for i, src in enumerate(config.sources):
        if src.parser != "auto" and src.parser not in registry.names():
            raise ConfigError(
                f"{config.origin}: sources[{i}].parser: no parser named {src.parser!r} "
                f"(known: {', '.join(registry.names()) or 'none'})"
            )
