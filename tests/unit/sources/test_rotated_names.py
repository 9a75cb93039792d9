"""The names of rotated files: read (``.N``, ``-YYYYMMDD``) and never live (compressed)."""

from __future__ import annotations

from logscan.sources.rotated_names import is_rotated_name, rotation_pattern


def test_rotation_names() -> None:
    pat = rotation_pattern("/var/log/mail.log")
    assert pat.fullmatch("mail.log.1") and pat.fullmatch("mail.log-20240101")
    assert not pat.fullmatch("mail.log.1.gz") and not pat.fullmatch("mail.log")
    assert is_rotated_name("x.log.2.gz") and is_rotated_name("x.log.3")
    assert not is_rotated_name("x.log")
