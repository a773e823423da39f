"""System checks for the code runner's configuration."""

import shutil

from django.conf import settings
from django.core.checks import Error, Warning, register


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
    if mode == "subprocess" and not settings.DEBUG:
        return [
            Warning(
                "PREP_CODE_RUNNER=subprocess runs user code without a sandbox (rlimits only).",
                hint="Use bwrap on any server other users can reach.",
                id="prep.W001",
            )
        ]
    return []
