"""Slowing down password guessing: failed logins are counted per account, and refused for a while.

Two limits over a sliding window of WINDOW: PER_CLIENT failures for one account from one
address (someone guessing), and PER_ACCOUNT failures for one account from any address (guessing
spread over many machines). Once a limit is reached, that login is refused without looking at
the password until the oldest counted failure leaves the window; a successful login clears the
account's failures. The account-wide limit does not apply to an address the account has logged
in from before (within KNOWN_FOR), so that guessing from elsewhere cannot lock the owner out of
their usual place. There is no limit per address alone: behind a reverse proxy (see
NORMA_PROXY_HOPS in web/) every user would otherwise share one address.

An attempt is counted before its password is checked, in the same write transaction as the
check of the limits, so that attempts sent at the same moment cannot all slip under a limit
while the (deliberately slow) password hashes run; a success then takes it back.

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
KNOWN_FOR = timedelta(days=90)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def retry_after(db: sqlite_utils.Database, email: str, client: str, now: datetime | None = None) -> int:
    """Seconds until this account may try again from this address; 0 when it may try now."""
    now = _now(now)
    email = normalize_email(email)
    rows = db.execute(
        "SELECT at, client = ? FROM login_failures WHERE email = ? AND at > ? ORDER BY at",
        [client, email, _iso(now - WINDOW)]).fetchall()
    waits = []
    mine = [at for at, same in rows if same]
    if len(mine) >= PER_CLIENT:
        waits.append(mine[-PER_CLIENT])  # the failure whose expiry brings the count under the limit
    if len(rows) >= PER_ACCOUNT and not _known(db, email, client, now):
        waits.append(rows[-PER_ACCOUNT][0])
    if not waits:
        return 0
    until = max(datetime.fromisoformat(at) for at in waits) + WINDOW
    return max(1, int((until - now).total_seconds()) + 1)


def _known(db: sqlite_utils.Database, email: str, client: str, now: datetime) -> bool:
    return db.execute("SELECT 1 FROM login_known WHERE email = ? AND client = ? AND at > ?",
                      [email, client, _iso(now - KNOWN_FOR)]).fetchone() is not None


def begin_attempt(db: sqlite_utils.Database, email: str, client: str, now: datetime | None = None) -> int:
    """Count an attempt as failed until it succeeds, unless a limit is reached: then count
    nothing and return the seconds to wait (0: go on and check the password)."""
    now = _now(now)
    with write_transaction(db):
        wait = retry_after(db, email, client, now)
        if wait:
            return wait
        db.execute("DELETE FROM login_failures WHERE at <= ?", [_iso(now - WINDOW)])  # of every account
        db.execute("INSERT INTO login_failures(email, client, at) VALUES (?, ?, ?)",
                   [normalize_email(email), client or "", _iso(now)])
    return 0


def record_success(db: sqlite_utils.Database, email: str, client: str, now: datetime | None = None) -> None:
    """The password was right: the account's failures no longer count, and this address is known."""
    now = _now(now)
    email = normalize_email(email)
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE email = ?", [email])
        db.execute("INSERT INTO login_known(email, client, at) VALUES (?, ?, ?)"
                   " ON CONFLICT(email, client) DO UPDATE SET at = excluded.at", [email, client or "", _iso(now)])
