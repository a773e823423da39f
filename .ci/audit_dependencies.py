"""`make audit`: pip-audit over the locked dependencies, failing on any known vulnerability.

pip-audit asks PyPI for each exact release (`/pypi/<name>/<version>/json`). Some networks,
this project's CI among them, reach only PyPI's project endpoint (`/pypi/<name>/json`), which
carries the advisories of the project's latest release. There the audit falls back to that
endpoint for a locked release that is the latest; a locked release that is not the latest
cannot be checked, and `--strict` turns that into a failure that says to refresh the locks
(`make lock`). Everything else (parsing, hashes, reporting, the exit status) is pip-audit's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pip_audit._cli as pip_audit_cli  # pip-audit is pinned in the lock; its CLI is the API
from packaging.version import InvalidVersion, Version
from pip_audit._service.interface import (
    ResolvedDependency,
    ServiceError,
    SkippedDependency,
    VulnerabilityResult,
)
from pip_audit._service.pypi import PyPIService

LOCK = Path(__file__).resolve().parent.parent / "requirements" / "test.lock"


class PyPIWithLatestReleaseFallback(PyPIService):
    """PyPI's per-release feed, or its project feed when the per-release one is not served."""

    def query(self, spec):
        answered, results = super().query(spec)
        not_served = isinstance(answered, SkippedDependency) and "not found on PyPI" in (
            answered.skip_reason
        )
        if not_served and isinstance(spec, ResolvedDependency):
            return self._query_latest_release(spec, answered)
        return answered, results

    def _query_latest_release(self, spec: ResolvedDependency, skipped: SkippedDependency):
        url = f"https://pypi.org/pypi/{spec.canonical_name}/json"
        response = self.session.get(url=url, timeout=self.timeout)
        if response.status_code != 200:
            return skipped, []
        project = response.json()
        latest = Version(project["info"]["version"])
        if latest != spec.version:
            reason = (
                f"{spec.canonical_name} {spec.version} is not the latest release ({latest}); "
                "only the latest release's advisories are reachable from this network: "
                "run `make lock` to move the locks forward."
            )
            return SkippedDependency(name=spec.name, skip_reason=reason), []
        advisories = project.get("vulnerabilities") or []
        return spec, [_vulnerability(a) for a in advisories if not a.get("withdrawn")]


def _vulnerability(advisory: dict) -> VulnerabilityResult:
    try:
        fixes = sorted(Version(v) for v in advisory["fixed_in"])
    except InvalidVersion as error:
        raise ServiceError(f"malformed version from PyPI: {advisory['fixed_in']}") from error
    description = advisory.get("summary") or advisory.get("details") or "N/A"
    return VulnerabilityResult.create(
        ids=[advisory["id"], *advisory.get("aliases", [])],
        description=description.replace("\n", " "),
        fix_versions=fixes,
        published=PyPIService._parse_rfc3339(advisory.get("published")),
    )


def main(lock: Path = LOCK) -> None:
    pip_audit_cli.PyPIService = PyPIWithLatestReleaseFallback
    sys.argv = [
        "pip-audit",
        "--requirement", str(lock),
        "--require-hashes",
        "--disable-pip",
        "--strict",
        "--progress-spinner", "off",
        "--vulnerability-service", "pypi",
    ]  # fmt: skip
    pip_audit_cli.audit()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else LOCK)
