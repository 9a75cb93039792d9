"""The README's set-up promise: its commands are the ones CI runs, and the locks pin everything.

A newcomer copies two commands from the README; CI must run the same test command, and the
locks must pin (with hashes) every dependency pyproject.toml names, within its ranges.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.helpers.paths import REPO

ROOT = REPO
README = (ROOT / "README.md").read_text()


def commands() -> list[str]:
    """The indented commands of the README's "Set up" section, in order."""
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0].split("### ", 1)[0]
    return [line.strip() for line in setup.splitlines() if line.startswith("    ")]


def pinned(lock: str) -> dict[str, Version]:
    text = (ROOT / lock).read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", text, re.MULTILINE)
    assert text.count("--hash=sha256:") >= len(pins) > 0
    return {canonicalize_name(name): Version(v) for name, v in pins}


def requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    if extra:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_readme_has_a_run_and_a_test_command_in_a_venv() -> None:
    run, test = commands()
    for cmd in (run, test):
        assert cmd.startswith("python3 -m venv .venv && .venv/bin/pip install -r requirements")
    assert "requirements.lock" in run and run.endswith(".venv/bin/logscan run --state-dir state")
    assert "requirements-test.lock" in test and test.endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test = commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines()


def test_locks_pin_every_dependency_within_its_range() -> None:
    for lock, extra in (("requirements.lock", None), ("requirements-test.lock", "test")):
        pins = pinned(lock)
        for req in requirements(extra):
            name = canonicalize_name(req.name)
            assert name in pins, f"{lock} does not pin {req.name}"
            assert pins[name] in req.specifier, f"{lock}: {name} {pins[name]} not in {req}"


def test_documents_the_project_cites_are_in_it() -> None:
    cited = set(re.findall(r"\b(docs/[\w/.-]+\.md)\b", README))
    for path in ROOT.glob("logscan/**/*.py"):
        cited.update(re.findall(r"\b(docs/[\w/.-]+\.md)\b", path.read_text()))
    assert "docs/design.md" in cited
    missing = sorted(doc for doc in cited if not (ROOT / doc).is_file())
    assert not missing, f"cited but not in the repo: {missing}"


def test_readme_says_each_paragraph_once() -> None:
    paragraphs = [" ".join(p.split()) for p in README.split("\n\n") if len(p.split()) > 8]
    repeated = {p[:80] for p in paragraphs if paragraphs.count(p) > 1}
    assert not repeated
    sentences = re.findall(r"`deploy/logscan.toml` shows every key", README)
    assert len(sentences) == 1
