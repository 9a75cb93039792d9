"""``check-config`` runs every signature example through the classifier, as fail2ban checks
its filters' samples: an operator's example its own rule does not decide is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.cli.main import main

SIGNATURE = """
[[signature]]
id = "local-acme-block"
pattern = 'ACME-BLOCK-\\d+'
category = "blocklisted"
blocklist = "acme:internal"
examples = ["550 ACME-BLOCK-17 go away", {example!r}]
"""


def check(tmp_path: Path, example: str) -> int:
    rules = tmp_path / "rules.d"
    rules.mkdir(exist_ok=True)
    (rules / "local.toml").write_text(SIGNATURE.format(example=example))
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(f'rules_dirs = ["{rules}"]\n[[sources]]\npath = "/var/log/mail.log"\n')
    return main(["check-config", "-c", str(cfg)])


def test_operator_example_its_rule_does_not_match_fails_naming_file_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(tmp_path, "550 ACME-BLOK-17 typo in the example") == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'rules.d' / 'local.toml'}: signature 'local-acme-block'" in err
    assert "ACME-BLOK-17" in err and "ACME-BLOCK-17 go away" not in err


def test_operator_examples_that_match_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(tmp_path, "554 5.7.1 ACME-BLOCK-9 listed") == 0
    assert "OK (1 source" in capsys.readouterr().out
