"""Throttles kept in the shared cache: sign-in failures, sign-ups, password-reset requests, runs.

Every throttle is a fixed-window counter. The window opens with the first event and lasts
`window` seconds; the event that reaches the limit restarts it, so a lockout always lasts the
whole window after the event that caused it. Nothing else moves the window.

The cache is shared by every app server (database or Redis, see settings), so the limits hold
across processes, and increments are atomic there and keep the window:

- Redis: SET NX with the expiry, INCR and PTTL in one MULTI transaction (INCR keeps the expiry).
- Database cache: Django's `DatabaseCache.incr()` is a get() then a set(), so two requests could
  both read 4 and write 5, and the set() gave the key the default timeout (300 s), which cut a
  15-minute lockout to 5 minutes. Here one transaction first locks the counter's row with a
  no-op UPDATE (a row lock on PostgreSQL, the write lock on SQLite), then reads and writes the
  count; the expiry column is written only when a window opens or restarts.
- Any other backend (LocMemCache in tests and single-process use): a process-wide lock.

Counters stay readable through the cache API: a plain integer under the key on Redis and the
database cache, `(count, window end)` on other backends.
"""

import base64
import contextlib
import ipaddress
import math
import pickle
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from django.conf import settings
from django.core import signing
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, connections, models, router, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Count:
    """A counter's value and the seconds left in its window (0 when there is no window)."""

    value: int
    seconds_left: float

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


NONE = Count(0, 0.0)


def hit(key: str, window: int, limit: int | None = None) -> Count:
    """Count one event under `key` atomically; returns the count including this event."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_hit(backend, key, window, limit)
    if isinstance(backend, DatabaseCache):
        return _db_hit(backend, key, window, limit)
    return _local_hit(backend, key, window, limit)


def peek(keys: list[str]) -> dict[str, Count]:
    """The live counters among `keys` (missing ones are left out)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_peek(backend, keys)
    if isinstance(backend, DatabaseCache):
        return _db_peek(backend, keys)
    return _local_peek(backend, keys)


def clear(key: str) -> None:
    caches["default"].delete(key)


# --- Redis ---------------------------------------------------------------------------------------


def _redis_client(backend: RedisCache):
    # Django's RedisCache has no public way to increment and keep the expiry in one step, or to
    # read the expiry, so use its redis-py client (the connection pool Django configured).
    return backend._cache.get_client(write=True)


def _redis_hit(backend: RedisCache, key: str, window: int, limit: int | None) -> Count:
    name = backend.make_and_validate_key(key)
    client = _redis_client(backend)
    millis = int(window * 1000)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(name, 0, px=millis, nx=True)
        pipe.incr(name)
        pipe.pttl(name)
        _, count, pttl = pipe.execute()
    # Exactly one caller sees the count that reaches the limit: it restarts the window. A key
    # without an expiry (an older version's incr() could leave one) gets a window too.
    if count == limit or pttl < 0:
        client.pexpire(name, millis)
        pttl = millis
    return Count(count, pttl / 1000)


def _redis_peek(backend: RedisCache, keys: list[str]) -> dict[str, Count]:
    names = [backend.make_and_validate_key(key) for key in keys]
    with _redis_client(backend).pipeline(transaction=False) as pipe:
        for name in names:
            pipe.get(name)
            pipe.pttl(name)
        replies = pipe.execute()
    found = {}
    for key, value, pttl in zip(keys, replies[::2], replies[1::2], strict=True):
        if value is not None and pttl != -2:
            found[key] = Count(int(value), max(pttl, 0) / 1000)
    return found


# --- Database cache ------------------------------------------------------------------------------


def _db_parts(backend: DatabaseCache):
    alias = router.db_for_write(backend.cache_model_class)
    connection = connections[alias]
    q = connection.ops.quote_name
    # The table is the cache's LOCATION, made by `createcachetable`; the column names are
    # Django's. Identifiers only, quoted by the backend: nothing user-supplied goes in the SQL.
    return alias, connection, q(backend._table), q("cache_key"), q("value"), q("expires")


def _db_expires(connection, value) -> datetime:
    expression = models.Expression(output_field=models.DateTimeField())
    converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
        connection
    )
    for converter in converters:
        value = converter(value, expression, connection)
    return value


def _db_count(connection, value) -> int:
    # The database cache's own encoding (base64 of a pickle); the table is written only by the
    # cache and by this module, so this trusts it exactly as DatabaseCache.get() does.
    raw = base64.b64decode(connection.ops.process_clob(value).encode(), validate=True)
    count = pickle.loads(raw)  # noqa: S301
    return count if type(count) is int else 0


def _db_value(backend: DatabaseCache, count: int) -> str:
    return base64.b64encode(pickle.dumps(count, backend.pickle_protocol)).decode("latin1")


def _db_hit(backend: DatabaseCache, key: str, window: int, limit: int | None) -> Count:
    name = backend.make_and_validate_key(key)
    alias, connection, table, k, v, e = _db_parts(backend)
    for attempt in range(3):
        try:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                # Lock before reading: concurrent increments of this counter queue here.
                cursor.execute(f"UPDATE {table} SET {e} = {e} WHERE {k} = %s", [name])  # noqa: S608
                cursor.execute(f"SELECT {v}, {e} FROM {table} WHERE {k} = %s", [name])  # noqa: S608
                row = cursor.fetchone()
                now = timezone.now()
                restart = now + timedelta(seconds=window)
                expires = _db_expires(connection, row[1]) if row else None
                if expires is not None and expires > now:
                    count = _db_count(connection, row[0]) + 1
                    if count == limit:
                        expires = restart
                else:
                    count, expires = 1, restart
                params = [
                    _db_value(backend, count),
                    connection.ops.adapt_datetimefield_value(expires),
                    name,
                ]
                if row:
                    cursor.execute(
                        f"UPDATE {table} SET {v} = %s, {e} = %s WHERE {k} = %s",  # noqa: S608
                        params,
                    )
                else:
                    cursor.execute(
                        f"INSERT INTO {table} ({v}, {e}, {k}) VALUES (%s, %s, %s)",  # noqa: S608
                        params,
                    )
            return Count(count, (expires - now).total_seconds())
        except IntegrityError:
            # Two first events inserted the row at once (there was nothing to lock yet); the
            # loser rolled back and now counts again on the winner's row, which it can lock.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _db_peek(backend: DatabaseCache, keys: list[str]) -> dict[str, Count]:
    if not keys:
        return {}
    names = {backend.make_and_validate_key(key): key for key in keys}
    _, connection, table, k, v, e = _db_parts(backend)
    placeholders = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {k}, {v}, {e} FROM {table} WHERE {k} IN ({placeholders})",  # noqa: S608
            list(names),
        )
        rows = cursor.fetchall()
    now = timezone.now()
    found = {}
    for name, value, expires in rows:
        left = (_db_expires(connection, expires) - now).total_seconds()
        if left > 0:
            found[names[name]] = Count(_db_count(connection, value), left)
    return found


# --- Other backends (one process) ----------------------------------------------------------------

_local_lock = threading.Lock()


def _local_read(backend: BaseCache, key: str, now: float) -> tuple[int, float]:
    value = backend.get(key)
    if isinstance(value, tuple) and len(value) == 2 and value[1] > now:
        return value
    return 0, 0.0


def _local_hit(backend: BaseCache, key: str, window: int, limit: int | None) -> Count:
    with _local_lock:
        now = timezone.now().timestamp()
        count, ends = _local_read(backend, key, now)
        count += 1
        if count == 1 or count == limit:
            ends = now + window
        backend.set(key, (count, ends), timeout=math.ceil(ends - now) + 1)
    return Count(count, ends - now)


def _local_peek(backend: BaseCache, keys: list[str]) -> dict[str, Count]:
    now = timezone.now().timestamp()
    found = {}
    for key in keys:
        count, ends = _local_read(backend, key, now)
        if count:
            found[key] = Count(count, ends - now)
    return found


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
# A few at once and a few per minute per user, so one user cannot monopolise the machine. The
# running counter expires by itself in case a worker dies mid-run.
RUNS_AT_ONCE = 2
RUNS_PER_MINUTE = 12


def count_run(user_id: int, now_minute: int) -> str | None:
    """Count a run against the user's per-minute budget; a refusal message once it is spent."""
    if hit(f"runs:{user_id}:{now_minute}", 120).value > RUNS_PER_MINUTE:
        return (
            f"You can run code {RUNS_PER_MINUTE} times a minute. Wait a few seconds and try again."
        )
    return None


def start_run(user_id: int, now_minute: int) -> str | None:
    """Reserve a slot for a run inside the request (authoring and import checks); returns a
    refusal message, or None when the run may start. Queued runs are bounded by the queue."""
    if refusal := count_run(user_id, now_minute):
        return refusal
    running_key = f"runs-active:{user_id}"
    cache.add(running_key, 0, timeout=60)
    if cache.incr(running_key) > RUNS_AT_ONCE:
        cache.decr(running_key)
        return f"You already have {RUNS_AT_ONCE} runs in progress. Wait for them to finish."
    return None


def finish_run(user_id: int) -> None:
    with contextlib.suppress(ValueError):
        cache.decr(f"runs-active:{user_id}")
