"""One run at a time: a PostgreSQL advisory lock, or a lease row in ``run_lock`` on SQLite.

A run that finds the lock taken either waits for it or skips. Both kinds of lock die with
their holder: PostgreSQL drops an advisory lock when the connection goes; an SQLite lease
expires, and is taken over at once when its holder was a process on this host that no
longer exists (a killed run never blocks the next one).
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from models.types import utcnow

DEFAULT_LEASE = timedelta(minutes=15)
POLL_SECONDS = 0.1


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` derived from the lock's name."""
    digest = hashlib.sha256(f"procure:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def this_holder() -> str:
    """Who holds a lease: host, process id and a token unique to this acquisition."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@contextmanager
def run_lock(
    engine: Engine,
    name: str,
    *,
    wait: bool = False,
    timeout: float = 300.0,
    lease: timedelta = DEFAULT_LEASE,
) -> Iterator[bool]:
    """Hold the lock ``name`` for the ``with`` block; yields ``False`` when skipped or timed out."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, wait=wait, timeout=timeout) as held:
            yield held
    else:
        with _lease(engine, name, wait=wait, timeout=timeout, lease=lease) as held:
            yield held


@contextmanager
def _advisory_lock(engine: Engine, name: str, *, wait: bool, timeout: float) -> Iterator[bool]:
    key = lock_key(name)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        held = _try_advisory(connection, key)
        deadline = time.monotonic() + timeout
        while not held and wait and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            held = _try_advisory(connection, key)
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        connection.close()


def _try_advisory(connection: Connection, key: int) -> bool:
    return bool(
        connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
    )


@contextmanager
def _lease(
    engine: Engine, name: str, *, wait: bool, timeout: float, lease: timedelta
) -> Iterator[bool]:
    holder = this_holder()
    held = _take_lease(engine, name, holder, lease)
    deadline = time.monotonic() + timeout
    while not held and wait and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        held = _take_lease(engine, name, holder, lease)
    try:
        yield held
    finally:
        if held:
            with engine.begin() as connection:
                connection.execute(
                    text("DELETE FROM run_lock WHERE name = :name AND holder = :holder"),
                    {"name": name, "holder": holder},
                )


def _take_lease(engine: Engine, name: str, holder: str, lease: timedelta) -> bool:
    now = utcnow()
    with engine.begin() as connection:
        row = connection.execute(
            text("SELECT holder, expires_at FROM run_lock WHERE name = :name"), {"name": name}
        ).first()
        if row is not None and not _lease_is_stale(row.holder, row.expires_at, now):
            return False
        params = {"name": name, "holder": holder, "expires_at": now + lease}
        if row is None:
            connection.execute(
                text(
                    "INSERT INTO run_lock (name, holder, expires_at) "
                    "VALUES (:name, :holder, :expires_at)"
                ),
                params,
            )
        else:
            connection.execute(
                text(
                    "UPDATE run_lock SET holder = :holder, expires_at = :expires_at "
                    "WHERE name = :name"
                ),
                params,
            )
        return True


def _lease_is_stale(holder: str, expires_at: object, now: datetime) -> bool:
    expiry = (
        expires_at if isinstance(expires_at, datetime) else datetime.fromisoformat(str(expires_at))
    )
    if _naive_utc(expiry) <= _naive_utc(now):
        return True
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    return not _process_alive(int(pid_text))


def _naive_utc(moment: datetime) -> datetime:
    # Stamps may come back with or without their UTC offset: compare them in naive UTC.
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
