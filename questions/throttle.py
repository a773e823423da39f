"""Throttles kept in the shared cache: sign-in failures, sign-ups, password-reset requests, runs.

Each is a fixed-window counter from questions/counters.py (atomic on every cache backend, and
its window never moves except when the limit is reached, so a lockout lasts the whole window).
"""

import contextlib
import ipaddress
import math
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from questions.counters import NONE, clear, hit, peek

# --- Client addresses ----------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with PROXY_COUNT trusted proxies in front (each
    appending the address it saw to X-Forwarded-For), the entry the outermost one added. Entries
    further left are client-supplied and never trusted."""
    proxies = settings.PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _address(request: HttpRequest) -> str:
    """The throttled unit of address: an IPv4 address, or an IPv6 /64 (one subscriber's usual
    allocation, which would otherwise give an attacker 2**64 fresh addresses)."""
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _key(kind: str, *parts: str) -> str:
    value = "\x1f".join(part.strip().lower() for part in parts)
    digest = sha256(value.encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


# --- Sign-in -------------------------------------------------------------------------------------
#
# Failures are counted per (account, address) pair, per address, and per account across all
# addresses. The pair limit is the usual lockout: a third party elsewhere cannot lock the owner
# out. The address limit stops one address trying many accounts. The much higher per-account
# limit stops a guessing campaign spread over many addresses; it refuses only browsers that have
# never signed in to the account (a signed "known browser" cookie), so the owner keeps access.

KNOWN_BROWSER_COOKIE = "prep_known"
KNOWN_BROWSER_SALT = "questions.throttle.known-browser"
KNOWN_BROWSER_MAX_AGE = 365 * 24 * 3600
KNOWN_BROWSER_ACCOUNTS = 5


@dataclass(frozen=True)
class Lockout:
    """Why an attempt is refused: `code` names the limit, for the message."""

    code: str
    seconds_left: float

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


def _login_keys(request: HttpRequest, username: str) -> dict[str, str]:
    address = _address(request)
    return {
        "pair": _key("login-failures:pair", username, address),
        "address": _key("login-failures:ip", address),
        "account": _key("login-failures:account", username),
    }


def login_lockout(request: HttpRequest, username: str) -> Lockout | None:
    """The lockout that refuses this sign-in attempt, if any."""
    keys = _login_keys(request, username)
    counts = peek(list(keys.values()))
    limits = {
        "pair": settings.LOGIN_FAILURES_PER_ACCOUNT,
        "address": settings.LOGIN_FAILURES_PER_IP,
        "account": settings.LOGIN_FAILURES_PER_ACCOUNT_TOTAL,
    }
    for code, key in keys.items():
        count = counts.get(key, NONE)
        if count.value < limits[code]:
            continue
        if code == "account" and is_known_browser(request, username):
            continue
        return Lockout(code, count.seconds_left)
    return None


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return login_lockout(request, username) is not None


def record_failure(request: HttpRequest, username: str) -> None:
    window = settings.LOGIN_LOCKOUT_SECONDS
    keys = _login_keys(request, username)
    hit(keys["pair"], window, settings.LOGIN_FAILURES_PER_ACCOUNT)
    hit(keys["address"], window, settings.LOGIN_FAILURES_PER_IP)
    hit(keys["account"], window, settings.LOGIN_FAILURES_PER_ACCOUNT_TOTAL)


def record_success(request: HttpRequest, username: str) -> None:
    # Only the pair's counter: the address counter expires by itself, so an attacker cannot
    # reset it by signing in to their own account, and the account-wide one keeps counting a
    # campaign that the owner's own sign-in does not end.
    clear(_login_keys(request, username)["pair"])


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)


def _browser_token(username: str) -> str:
    return salted_hmac(
        KNOWN_BROWSER_SALT, username.strip().lower(), algorithm="sha256"
    ).hexdigest()[:20]


def _known_tokens(request: HttpRequest) -> list[str]:
    try:
        value = request.get_signed_cookie(
            KNOWN_BROWSER_COOKIE, salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_MAX_AGE
        )
    except (KeyError, signing.BadSignature):
        return []
    return [token for token in value.split(".") if token]


def is_known_browser(request: HttpRequest, username: str) -> bool:
    return _browser_token(username) in _known_tokens(request)


def remember_browser(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a successful sign-in: this browser may sign in to the account during a campaign."""
    token = _browser_token(username)
    tokens = [token, *(t for t in _known_tokens(request) if t != token)]
    response.set_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        ".".join(tokens[:KNOWN_BROWSER_ACCOUNTS]),
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- Sign-up and password reset ------------------------------------------------------------------


def reserve_signup(request: HttpRequest) -> Lockout | None:
    """Count a sign-up from this address; a Lockout when it is over the limit (checked before
    the password is hashed, so refused sign-ups cost next to nothing)."""
    limit = settings.SIGNUPS_PER_IP
    count = hit(_key("signups:ip", _address(request)), settings.SIGNUP_WINDOW_SECONDS, limit)
    return Lockout("signups", count.seconds_left) if count.value > limit else None


def reserve_password_reset(request: HttpRequest, email: str) -> Lockout | None:
    """Count a reset request from this address and for this email address. Counted the same
    whether or not an account uses the email, so the answer says nothing about accounts."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    limit = settings.PASSWORD_RESETS_PER_IP
    count = hit(_key("password-resets:ip", _address(request)), window, limit)
    if count.value > limit:
        return Lockout("password-resets", count.seconds_left)
    limit = settings.PASSWORD_RESETS_PER_EMAIL
    count = hit(_key("password-resets:email", email), window, limit)
    if count.value > limit:
        return Lockout("password-resets", count.seconds_left)
    return None


# --- Code runs -----------------------------------------------------------------------------------
# Queued runs (questions/code_runs.py) are bounded per user by the queue; this caps how often.
RUNS_PER_MINUTE = 12


def count_run(user_id: int, now_minute: int) -> str | None:
    """Count a run against the user's per-minute budget; a refusal message once it is spent."""
    if hit(f"runs:{user_id}:{now_minute}", 120).value > RUNS_PER_MINUTE:
        return (
            f"You can run code {RUNS_PER_MINUTE} times a minute. Wait a few seconds and try again."
        )
    return None


# Checks that run inside a web request (a question's reference solution, when it is saved or
# imported: the form needs the verdict) hold that web worker while they run. However many users
# ask, at most settings.IN_REQUEST_CHECKS_AT_ONCE of them run at a time across the site, so the
# other workers keep serving pages; each user may start a few a minute. A slot frees itself
# after CHECK_SLOT_SECONDS if the worker holding it died.
IN_REQUEST_CHECKS_PER_MINUTE = 4
CHECK_SLOT_SECONDS = 60


@contextlib.contextmanager
def in_request_check(user_id: int) -> Iterator[str | None]:
    """Hold a slot for checks inside this request; yields a refusal message, or None when they
    may run (the slot is released when the block ends)."""
    if hit(f"checks:{user_id}:{int(time.time() // 60)}", 120).value > IN_REQUEST_CHECKS_PER_MINUTE:
        yield (
            f"You can check code {IN_REQUEST_CHECKS_PER_MINUTE} times a minute when saving or "
            "importing questions. Wait a few seconds and try again."
        )
        return
    token = secrets.token_hex(8)
    slot = next(
        (
            key
            for key in (f"check-slot:{i}" for i in range(settings.IN_REQUEST_CHECKS_AT_ONCE))
            if cache.add(key, token, timeout=CHECK_SLOT_SECONDS)
        ),
        None,
    )
    if slot is None:
        yield "Another question's code is being checked right now. Try again in a few seconds."
        return
    try:
        yield None
    finally:
        if cache.get(slot) == token:
            cache.delete(slot)
