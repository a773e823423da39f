"""Login throttling: count failed sign-ins per account and per client address in the cache.

The cache is shared by every app server (database or Redis, see settings), so the limit holds
across processes. A success clears the account's counter; the address counter only expires,
so one attacker cannot reset it by logging into their own account.
"""

import contextlib
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(kind: str, value: str) -> str:
    digest = sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "")


def is_locked_out(request: HttpRequest, username: str) -> bool:
    counts = cache.get_many([_key("user", username), _key("ip", client_ip(request))])
    return (
        counts.get(_key("user", username), 0) >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or counts.get(_key("ip", client_ip(request)), 0) >= settings.LOGIN_FAILURES_PER_IP
    )


def record_failure(request: HttpRequest, username: str) -> None:
    for key in (_key("user", username), _key("ip", client_ip(request))):
        # add() then incr() keeps the counter's expiry from the first failure in the window.
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def record_success(username: str) -> None:
    cache.delete(_key("user", username))


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)


# Code runs: a few at once and a few per minute per user, so one user cannot monopolise the
# machine. The running counter expires by itself in case a worker dies mid-run.
RUNS_AT_ONCE = 2
RUNS_PER_MINUTE = 12


def start_run(user_id: int, now_minute: int) -> str | None:
    """Reserve a run slot; returns a refusal message, or None when the run may start."""
    minute_key = f"runs:{user_id}:{now_minute}"
    cache.add(minute_key, 0, timeout=120)
    if cache.incr(minute_key) > RUNS_PER_MINUTE:
        return (
            f"You can run code {RUNS_PER_MINUTE} times a minute. Wait a few seconds and try again."
        )
    running_key = f"runs-active:{user_id}"
    cache.add(running_key, 0, timeout=60)
    if cache.incr(running_key) > RUNS_AT_ONCE:
        cache.decr(running_key)
        return f"You already have {RUNS_AT_ONCE} runs in progress. Wait for them to finish."
    return None


def finish_run(user_id: int) -> None:
    with contextlib.suppress(ValueError):
        cache.decr(f"runs-active:{user_id}")
