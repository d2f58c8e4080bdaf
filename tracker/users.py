"""People who log in, and the agencies (state bodies) some of them review for.

Roles: `admin` runs the installation; `lawyer` runs campaigns and reviews any act;
`agency` reviews only the acts assigned to its agency; `viewer` reads. Role checks
live in tracker.access. Passwords are stored only as werkzeug hashes (scrypt), and
no function here returns a hash.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.audit import record
from tracker.dates import now_utc
from tracker.db import write_transaction

ROLES = ("admin", "lawyer", "agency", "viewer")
LANGS = ("ru", "kk", "ky", "en")
MIN_PASSWORD_LENGTH = 8

# Deliberately loose (one @, something either side, no spaces): the address is a login
# name checked by a human who creates the account; full RFC 5322 validation would
# reject nothing useful here and an intranet domain may have no dot.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Compared against when the e-mail is unknown, so a wrong e-mail costs as much time
# as a wrong password and response times do not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("norma-dummy-password")

_USER_COLUMNS = ("u.id, u.email, u.name, u.role, u.agency_id, u.lang, u.active, u.created_at,"
                 " g.name AS agency")
_USER_KEYS = ("id", "email", "name", "role", "agency_id", "lang", "active", "created_at", "agency")


def normalize_email(email: str) -> str:
    """The form e-mails are stored and looked up in: trimmed, casefolded."""
    return (email or "").strip().casefold()


def _check_email(email: str) -> str:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise ValueError(f"not a valid e-mail address: {email!r}")
    return email


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


# --- agencies -------------------------------------------------------------------------------


def create_agency(db: sqlite_utils.Database, name: str, *, email: str | None = None) -> int:
    """Add an agency; its name must be new (case-insensitively). Returns its id."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("the agency needs a name")
    if email:
        email = _check_email(email)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM agencies WHERE name_key = ?", [name.casefold()]).fetchone():
            raise ValueError(f"an agency named {name!r} already exists")
        cursor = db.execute("INSERT INTO agencies(name, name_key, email, created_at) VALUES (?,?,?,?)",
                            [name, name.casefold(), email or None, now_utc()])
    return int(cursor.lastrowid)


def list_agencies(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """All agencies by name, each with its number of users."""
    return list(db.query(
        "SELECT g.*, (SELECT COUNT(*) FROM users u WHERE u.agency_id = g.id) AS users"
        " FROM agencies g ORDER BY g.name_key"))


def get_agency(db: sqlite_utils.Database, agency_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM agencies WHERE id = ?", [agency_id]))
    return rows[0] if rows else None


def find_agency(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    """The agency with this name (case-insensitive), or None; for the CLI and imports."""
    rows = list(db.query("SELECT * FROM agencies WHERE name_key = ?", [" ".join(name.split()).casefold()]))
    return rows[0] if rows else None


# --- users ----------------------------------------------------------------------------------


def _check_role(db: sqlite_utils.Database, role: str, agency_id: int | None) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    if role == "agency":
        if agency_id is None:
            raise ValueError("a user with the role 'agency' needs an agency")
        if get_agency(db, agency_id) is None:
            raise ValueError(f"no agency with id {agency_id}")
    elif agency_id is not None and get_agency(db, agency_id) is None:
        raise ValueError(f"no agency with id {agency_id}")


def create_user(db: sqlite_utils.Database, email: str, password: str, role: str, *,
                agency_id: int | None = None, name: str | None = None, lang: str = "ru") -> int:
    """Add a user; return the id. ValueError (with the reason) for a bad or taken e-mail,
    a short password, an unknown role or language, or an agency user without an agency."""
    email = _check_email(email)
    _check_password(password)
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; one of: {', '.join(LANGS)}")
    with write_transaction(db):
        _check_role(db, role, agency_id)
        if db.execute("SELECT 1 FROM users WHERE email = ?", [email]).fetchone():
            raise ValueError(f"a user with the e-mail {email} already exists")
        cursor = db.execute(
            "INSERT INTO users(email, name, role, agency_id, lang, password_hash, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            [email, (name or "").strip(), role, agency_id, lang, generate_password_hash(password),
             now_utc()])
    return int(cursor.lastrowid)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["active"] = bool(row["active"])
    return row


def credential_stamp(db: sqlite_utils.Database, user_id: int) -> str | None:
    """A short fingerprint of the user's password hash (None for no such user).

    Sessions carry it, so a new password ends every session signed before it.
    """
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return _stamp(row[0]) if row else None


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def session_user(db: sqlite_utils.Database, user_id: int, stamp: str) -> dict[str, Any] | None:
    """The user a session names, if its credential stamp is still the current one, else None.

    One query: the web app asks on every request (get_user and credential_stamp would be two).
    """
    row = db.execute(f"SELECT {_USER_COLUMNS}, u.password_hash FROM users u"
                     " LEFT JOIN agencies g ON g.id = u.agency_id WHERE u.id = ?", [user_id]).fetchone()
    if row is None or _stamp(row[-1]) != stamp:
        return None
    return _decode(dict(zip(_USER_KEYS, row[:-1], strict=True)))


def get_user(db: sqlite_utils.Database, user_id: int) -> dict[str, Any] | None:
    """The user (id, email, name, role, agency_id, agency, lang, active, created_at), no hash."""
    rows = list(db.query(f"SELECT {_USER_COLUMNS} FROM users u LEFT JOIN agencies g ON g.id = u.agency_id"
                         " WHERE u.id = ?", [user_id]))
    return _decode(rows[0]) if rows else None


def has_users(db: sqlite_utils.Database) -> bool:
    """Whether any account exists (none: the first visit creates the administrator)."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [_decode(r) for r in db.query(
        f"SELECT {_USER_COLUMNS} FROM users u LEFT JOIN agencies g ON g.id = u.agency_id ORDER BY u.email")]


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> dict[str, Any] | None:
    """The user if the e-mail (any case) and password match an active account, else None."""
    row = db.execute("SELECT id, password_hash, active FROM users WHERE email = ?",
                     [normalize_email(email)]).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user_id, pw_hash, active = row
    if not check_password_hash(pw_hash, password or "") or not active:
        return None
    return get_user(db, user_id)


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    _check_password(password)
    with write_transaction(db):
        cursor = db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                            [generate_password_hash(password), user_id])
        if cursor.rowcount == 0:
            raise ValueError(f"no user with id {user_id}")


def update_user(db: sqlite_utils.Database, user_id: int, *, name: str | None = None,
                role: str | None = None, agency_id: int | None = None, lang: str | None = None,
                active: bool | None = None, by: dict[str, Any] | None = None) -> dict[str, Any]:
    """Change a user's name, role, agency, language or whether they may log in (audited).

    Changing the role away from 'agency' drops the agency unless one is given;
    returns the updated user.
    """
    with write_transaction(db):
        before = get_user(db, user_id)
        if before is None:
            raise ValueError(f"no user with id {user_id}")
        new_role = role if role is not None else before["role"]
        new_agency = agency_id if agency_id is not None else before["agency_id"]
        if agency_id is None and new_role != "agency" and before["role"] == "agency":
            new_agency = None  # no longer reviews for that agency
        _check_role(db, new_role, new_agency)
        if lang is not None and lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; one of: {', '.join(LANGS)}")
        db.execute("UPDATE users SET name = ?, role = ?, agency_id = ?, lang = ?, active = ? WHERE id = ?",
                   [before["name"] if name is None else name.strip(), new_role, new_agency,
                    lang or before["lang"], int(before["active"] if active is None else active), user_id])
        after = get_user(db, user_id)
        keys = ("name", "role", "agency_id", "lang", "active")
        if any(before[k] != after[k] for k in keys):
            record(db, user=by, action="update", entity="user", entity_id=user_id,
                   before={k: before[k] for k in keys}, after={k: after[k] for k in keys})
    return after
