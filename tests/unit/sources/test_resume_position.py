"""A checkpoint's entry for one file: both versions read, the current one written, every value
checked."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.sources.file_identity import Identity, Sibling
from logscan.sources.resume_position import POSITION_VERSION, MalformedPosition, ResumePosition

FP = "0123456789abcdef0123456789abcdef01234567"
# As the first releases wrote it (no version, no siblings, no size, no mtime).
FIRST_RELEASE = {"path": "/l/mail.log", "dev": 1, "ino": 2, "fp_len": 40, "fp": FP}
FIRST_RELEASE |= {"offset": 120, "lineno": 3}
# As releases before versions wrote it last.
UNVERSIONED = {**FIRST_RELEASE, "siblings": [[1, 7, 90]], "size": 150, "mtime_ns": 10**18}


@pytest.mark.parametrize("raw", [FIRST_RELEASE, UNVERSIONED], ids=["first", "last"])
def test_an_entry_without_a_version_is_version_1_and_written_back_as_it_was(
    raw: dict[str, Any],
) -> None:
    pos = ResumePosition.from_json(raw)
    assert pos.version == 1
    assert pos.identity == Identity(1, 2, 40, FP) and (pos.offset, pos.lineno) == (120, 3)
    assert pos.to_json() == {"siblings": [], **raw}  # absent siblings: none


def test_version_1_fields_an_entry_lacks_read_as_unknown() -> None:
    pos = ResumePosition.from_json(FIRST_RELEASE)
    assert (pos.size, pos.mtime_ns, dict(pos.siblings)) == (None, None, {})
    pos = ResumePosition.from_json(UNVERSIONED)
    assert (pos.size, pos.mtime_ns, dict(pos.siblings)) == (
        150,
        10**18,
        {(1, 7): Sibling(90, None)},
    )


@pytest.mark.parametrize("gen", [12345, None], ids=["generation", "no_generation"])
def test_the_current_version_is_written_with_every_field_and_read_back(gen: int | None) -> None:
    ident = Identity(1, 2, 40, FP, gen)
    siblings = {(1, 7): Sibling(90, gen), (1, 8): Sibling(0, None)}
    pos = ResumePosition("/l/mail.log", ident, 120, 3, siblings, 150, 5)
    doc = pos.to_json()
    assert doc["version"] == POSITION_VERSION == 3
    assert set(doc) == {"version", "gen", *UNVERSIONED}
    assert ResumePosition.from_json(doc) == pos


def test_a_version_2_entry_has_no_generation_and_is_written_back_as_it_was() -> None:
    pos = ResumePosition.from_json(_v2())
    assert pos.version == 2 and pos.identity.gen is None
    assert pos.to_json() == _v2()


def test_the_current_version_has_a_size_and_an_mtime() -> None:
    with pytest.raises(ValueError):
        ResumePosition("/l/mail.log", Identity(1, 2, 0, ""), 0, 0, {}, None, None)


def _v2(**change: Any) -> dict[str, Any]:
    return {**UNVERSIONED, "version": 2, **change}


def _v2_without(key: str) -> dict[str, Any]:
    return {k: v for k, v in _v2().items() if k != key}


def _v3(**change: Any) -> dict[str, Any]:
    return {**_v2(), "version": 3, "gen": 1, "siblings": [[1, 7, 90, 3]], **change}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        pytest.param([], "", id="not_an_object"),
        pytest.param(_v2(version=4), "version", id="unknown_version"),
        pytest.param(_v2(version=True), "version", id="bool_version"),
        pytest.param(_v2(version=2.0), "version", id="float_version"),
        pytest.param(_v2(path=None), "path", id="no_path"),
        pytest.param(_v2(ino="12"), "ino", id="string_inode"),
        pytest.param(_v2(dev=True), "dev", id="bool_device"),
        pytest.param(_v2(offset=-1), "offset", id="negative_offset"),
        pytest.param(_v2(offset=2**63), "offset", id="offset_beyond_off_t"),
        pytest.param(_v2(lineno=1.5), "lineno", id="float_lineno"),
        pytest.param({**UNVERSIONED, "size": None}, "size", id="null_size"),
        pytest.param(_v2_without("size"), "size", id="v2_without_size"),
        pytest.param(_v2(fp_len=1 << 21), "fp_len", id="huge_fp_len"),
        pytest.param(_v2(fp=FP.upper()), "fp", id="fp_not_lower_hex"),
        pytest.param(_v2(fp="ab"), "fp", id="fp_too_short"),
        pytest.param(_v2(siblings={}), "siblings", id="siblings_not_a_list"),
        pytest.param(_v2(siblings=[[1, 2]]), "siblings", id="sibling_not_a_triple"),
        pytest.param(
            {k: v for k, v in _v2().items() if k != "siblings"}, "siblings", id="v2_no_sib"
        ),
        pytest.param(_v2(version=3), "gen", id="v3_without_gen"),
        pytest.param(_v3(gen=-1), "gen", id="negative_gen"),
        pytest.param(_v3(gen=2**32), "gen", id="gen_beyond_32_bits"),
        pytest.param(_v3(gen="7"), "gen", id="string_gen"),
        pytest.param(_v3(siblings=[[1, 7, 90]]), "siblings", id="v3_sibling_without_gen"),
        pytest.param(_v3(siblings=[[1, 7, 90, -3]]), "siblings", id="v3_sibling_bad_gen"),
    ],
)
def test_a_malformed_entry_names_the_field(raw: Any, field: str) -> None:
    with pytest.raises(MalformedPosition) as exc:
        ResumePosition.from_json(raw)
    assert exc.value.field == field
