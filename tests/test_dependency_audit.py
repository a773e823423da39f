"""The dependency locks and the audit over them (`make audit`, run in CI with the network).

These tests stay offline: PyPI's answers are stand-ins, so they check the audit's own logic,
the fallback to PyPI's project feed, not today's advisories.
"""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from pip_audit._service.interface import ResolvedDependency, SkippedDependency

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"


def load_audit_module():
    spec = importlib.util.spec_from_file_location("audit", ROOT / ".ci" / "audit_dependencies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeResponse:
    def __init__(self, status_code, payload=None):
        self.status_code = status_code
        self.payload = payload

    def json(self):
        return self.payload

    def raise_for_status(self):
        import requests

        if self.status_code >= 400:
            raise requests.HTTPError(response=self)


class FakePyPI:
    """Answers by URL; records what was asked."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def get(self, url, timeout=None):
        self.asked.append(url)
        return self.answers.get(url, FakeResponse(404))


ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "summary": "Remote code execution\nthrough a crafted header",
    "fixed_in": ["2.0.1"],
    "published": "2099-01-02T03:04:05Z",
}


@pytest.fixture
def service():
    return load_audit_module().PyPIWithLatestReleaseFallback(timeout=5)


def dependency(name, version):
    return ResolvedDependency(name=name, version=Version(version))


def test_project_feed_is_used_when_the_release_feed_is_not_served(service):
    service.session = FakePyPI(
        {
            "https://pypi.org/pypi/somepkg/json": FakeResponse(
                200, {"info": {"version": "2.0.0"}, "vulnerabilities": [ADVISORY]}
            )
        }
    )
    spec, vulnerabilities = service.query(dependency("somepkg", "2.0.0"))
    assert isinstance(spec, ResolvedDependency)
    assert [v.id for v in vulnerabilities] == ["PYSEC-2099-1"]
    assert vulnerabilities[0].fix_versions == [Version("2.0.1")]
    assert "\n" not in vulnerabilities[0].description
    assert service.session.asked == [
        "https://pypi.org/pypi/somepkg/2.0.0/json",
        "https://pypi.org/pypi/somepkg/json",
    ]


def test_withdrawn_advisories_are_ignored(service):
    withdrawn = {**ADVISORY, "withdrawn": "2099-02-01T00:00:00Z"}
    service.session = FakePyPI(
        {
            "https://pypi.org/pypi/somepkg/json": FakeResponse(
                200, {"info": {"version": "2.0.0"}, "vulnerabilities": [withdrawn]}
            )
        }
    )
    assert service.query(dependency("somepkg", "2.0.0"))[1] == []


def test_a_locked_release_older_than_the_latest_cannot_pass_unchecked(service):
    service.session = FakePyPI(
        {
            "https://pypi.org/pypi/somepkg/json": FakeResponse(
                200, {"info": {"version": "3.0.0"}, "vulnerabilities": []}
            )
        }
    )
    spec, vulnerabilities = service.query(dependency("somepkg", "2.0.0"))
    assert isinstance(spec, SkippedDependency)  # --strict makes a skip fail the audit
    assert "not the latest release (3.0.0)" in spec.skip_reason
    assert "make lock" in spec.skip_reason
    assert vulnerabilities == []


def test_the_release_feed_is_preferred_when_it_answers(service):
    service.session = FakePyPI(
        {
            "https://pypi.org/pypi/somepkg/1.0.0/json": FakeResponse(
                200, {"info": {"version": "1.0.0"}, "vulnerabilities": [ADVISORY]}
            )
        }
    )
    _, vulnerabilities = service.query(dependency("somepkg", "1.0.0"))
    assert [v.id for v in vulnerabilities] == ["PYSEC-2099-1"]
    assert service.session.asked == ["https://pypi.org/pypi/somepkg/1.0.0/json"]


def locked_versions(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", path.read_text(), flags=re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in pins}


def test_runtime_lock_pins_what_the_test_lock_pins():
    runtime = locked_versions(LOCKS / "runtime.lock")
    tested = locked_versions(LOCKS / "test.lock")
    assert runtime, "runtime.lock pins nothing"
    assert {name: tested.get(name) for name in runtime} == runtime


def test_every_declared_dependency_is_locked_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    tested = locked_versions(LOCKS / "test.lock")
    for line in declared:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in tested, f"{name} is declared in pyproject.toml but not locked"
        assert Version(tested[name]) in requirement.specifier, f"{name} {tested[name]}"


def test_every_lock_line_carries_a_hash():
    for lock in LOCKS.glob("*.lock"):
        text = lock.read_text()
        assert text.count("==") <= text.count("--hash=sha256:"), lock.name
