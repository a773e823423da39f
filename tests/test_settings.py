"""Settings come from the environment; production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(env_overrides, *args):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = _check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "ALLOWED_HOSTS": "prep.example.com",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _setting(env_overrides, name):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "HSTS_PRELOAD"}}
    env.update(
        {"DEBUG": "false", "SECRET_KEY": "k3y-" + "x" * 60, "ALLOWED_HOSTS": "prep.example.com"}
    )
    env.update(env_overrides)
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "prep.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hsts_preload_is_opt_in():
    assert _setting({}, "SECURE_HSTS_PRELOAD") == "False"
    assert _setting({}, "SECURE_HSTS_SECONDS") == "31536000"
    assert _setting({"HSTS_PRELOAD": "true"}, "SECURE_HSTS_PRELOAD") == "True"
    assert _setting({"HSTS_PRELOAD": "true", "HTTPS": "false"}, "SECURE_HSTS_PRELOAD") == "False"
