"""Atomic fixed-window counters in the shared cache, for the throttles (questions/throttle.py).

A window opens with the first event and lasts `window` seconds; the event that reaches the limit
restarts it, so a lockout always lasts the whole window after the event that caused it. Nothing
else moves the window.

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
import math
import pickle
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone


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


class _Unlocked(Exception):
    """The counter's row appeared after the locking UPDATE: count again (see _db_hit)."""


def _db_hit(backend: DatabaseCache, key: str, window: int, limit: int | None) -> Count:
    name = backend.make_and_validate_key(key)
    alias, connection, table, k, v, e = _db_parts(backend)
    for attempt in range(5):
        try:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                # Lock before reading: concurrent increments of this counter queue here.
                cursor.execute(f"UPDATE {table} SET {e} = {e} WHERE {k} = %s", [name])  # noqa: S608
                locked = cursor.rowcount
                cursor.execute(f"SELECT {v}, {e} FROM {table} WHERE {k} = %s", [name])  # noqa: S608
                row = cursor.fetchone()
                if row and not locked:
                    # Another first event committed the row between the two statements
                    # (PostgreSQL reads each statement's own snapshot): it is not locked by
                    # us, so reading and writing it now could lose a count. Start again.
                    raise _Unlocked
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
        except (IntegrityError, _Unlocked):
            # Two first events inserted the row at once (there was nothing to lock yet); the
            # loser rolled back and now counts again on the winner's row, which it can lock.
            if attempt == 4:
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
