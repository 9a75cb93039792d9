"""What a file follower reports is counted and logged by one table, and the daemon's metric
handles name exactly the contract's metrics."""

from __future__ import annotations

from dataclasses import fields
from typing import get_args

from logscan.app.file_runtime import NOTICES, Notice, file_notice
from logscan.sinks.metric_handles import OpsMetrics
from logscan.sinks.metrics import SPECS, Metrics


def test_every_notice_kind_has_one_rule() -> None:
    assert set(NOTICES) == set(get_args(Notice))


def test_notices_count_what_they_did_before() -> None:
    m = Metrics()
    ops = OpsMetrics.of(m)
    for kind, detail in [
        ("open", "offset=0"),
        ("rotation", "old=/x"),
        ("truncation", "offset=9 size=0"),
        ("read_error", "permission_denied"),
        ("cr_line_endings", ""),
        ("recovered", ""),
        ("offset_beyond_end", "offset=9 size=0"),
        ("a kind from a newer follower", ""),
    ]:
        file_notice(ops, "mail", kind, "/var/log/mail.log", detail)
    assert m.values["logscan_source_opens"] == {("mail",): 1.0}
    assert m.values["logscan_source_rotations"] == {("mail",): 1.0}
    assert m.values["logscan_source_truncations"] == {("mail",): 1.0}
    assert m.values["logscan_source_read_errors"] == {
        ("mail", "permission_denied"): 1.0,
        ("mail", "cr_line_endings"): 1.0,
    }


def test_metric_handles_name_the_contract_metrics() -> None:
    ops = OpsMetrics.of(Metrics())
    names = [getattr(ops, f.name).name for f in fields(ops)]
    assert len(set(names)) == len(names)
    assert set(names) <= {spec.name for spec in SPECS}
