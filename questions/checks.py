"""System checks for the code runner's configuration."""

import os
import shutil
import subprocess

from django.conf import settings
from django.core.checks import Error, Warning, register

# Options the runner passes to bwrap (0.8 or newer has them all).
BWRAP_OPTIONS = ("--size", "--seccomp", "--file", "--remount-ro", "--disable-userns")


@register()
def code_runner_check(app_configs, **kwargs):
    mode = settings.PREP_CODE_RUNNER
    if mode not in {"bwrap", "subprocess", "off"}:
        return [
            Error(
                f"PREP_CODE_RUNNER must be bwrap, subprocess or off (got {mode!r}).", id="prep.E001"
            )
        ]
    if mode == "bwrap" and not shutil.which("bwrap"):
        return [
            Error(
                "PREP_CODE_RUNNER=bwrap but bubblewrap is not installed.",
                hint="apt-get install bubblewrap, or set PREP_CODE_RUNNER=off.",
                id="prep.E002",
            )
        ]
    if mode == "bwrap":
        return _bwrap_problems()
    if mode == "subprocess" and not settings.DEBUG:
        return [
            Warning(
                "PREP_CODE_RUNNER=subprocess runs user code without a sandbox (rlimits only).",
                hint="Use bwrap on any server other users can reach.",
                id="prep.W001",
            )
        ]
    if mode == "subprocess":
        # The development fallback when bubblewrap is missing: said on the console at start-up.
        return [
            Warning(
                "Code runs without a sandbox (bubblewrap is not installed): fine for you alone "
                "on your own machine, never for a server others can reach.",
                hint="apt-get install bubblewrap (make run does this when it can).",
                id="prep.W002",
            )
        ]
    return []


def _bwrap_problems():
    from questions import runner

    try:
        runner.seccomp_program()
    except runner.RunnerDisabled as exc:
        return [Error(str(exc), hint="Set PREP_CODE_RUNNER=off on this machine.", id="prep.E003")]
    try:
        usage = subprocess.run(  # noqa: S603 - a fixed command
            [shutil.which("bwrap") or "bwrap", "--help"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        usage = str(exc)
    needed = BWRAP_OPTIONS if os.geteuid() != 0 else BWRAP_OPTIONS[:-1]
    missing = [option for option in needed if option not in usage]
    if missing:
        return [
            Error(
                f"This bubblewrap lacks {', '.join(missing)}, which the sandbox needs.",
                hint="Install bubblewrap 0.8 or newer, or set PREP_CODE_RUNNER=off.",
                id="prep.E004",
            )
        ]
    return []
