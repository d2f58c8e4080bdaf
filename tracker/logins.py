"""Slowing down password guessing: failed logins are counted per account, and refused for a while.

Two limits over a sliding window of WINDOW: PER_CLIENT failures for one account from one
address (someone guessing), and PER_ACCOUNT failures for one account from any address (guessing
spread over many machines). Once a limit is reached, that login is refused without looking at
the password until the oldest counted failure leaves the window; a successful login clears the
account's failures. There is no limit per address alone: behind a reverse proxy every user
shares one address, and a guesser would then lock everybody out.

Written here rather than with Flask-Limiter: its limits live in each server process's memory
(or in Redis, which the embedded default does not have), so with several gunicorn workers an
attacker would get several times the attempts, and every restart would reset them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from tracker.db import write_transaction
from tracker.users import normalize_email

WINDOW = timedelta(minutes=15)
PER_CLIENT = 5
PER_ACCOUNT = 20


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def retry_after(db: sqlite_utils.Database, email: str, client: str, now: datetime | None = None) -> int:
    """Seconds until this account may try again from this address; 0 when it may try now."""
    now = _now(now)
    rows = db.execute(
        "SELECT at, client = ? FROM login_failures WHERE email = ? AND at > ? ORDER BY at",
        [client, normalize_email(email), _iso(now - WINDOW)]).fetchall()
    waits = []
    mine = [at for at, same in rows if same]
    if len(mine) >= PER_CLIENT:
        waits.append(mine[-PER_CLIENT])  # the failure whose expiry brings the count under the limit
    if len(rows) >= PER_ACCOUNT:
        waits.append(rows[-PER_ACCOUNT][0])
    if not waits:
        return 0
    until = max(datetime.fromisoformat(at) for at in waits) + WINDOW
    return max(1, int((until - now).total_seconds()) + 1)


def record_failure(db: sqlite_utils.Database, email: str, client: str, now: datetime | None = None) -> None:
    """Count a failed login (and forget failures that have left the window, of every account)."""
    now = _now(now)
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE at <= ?", [_iso(now - WINDOW)])
        db.execute("INSERT INTO login_failures(email, client, at) VALUES (?, ?, ?)",
                   [normalize_email(email), client or "", _iso(now)])


def clear_failures(db: sqlite_utils.Database, email: str) -> None:
    """A successful login: the account's earlier failures no longer count."""
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE email = ?", [normalize_email(email)])
