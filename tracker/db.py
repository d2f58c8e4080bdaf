"""The database: where it lives, how a connection is set up, and the schema's migrations.

Every other tracker module receives an open `sqlite_utils.Database` from `open_db`
and keeps its SQL behind plain functions, so moving to a server database later
touches tracker's storage modules only, never the views or extractors (DESIGN.md).

Migrations use sqlite-utils' own `Migrations` set (recorded in `_sqlite_migrations`),
applied in order, each once, inside one write transaction, so two processes that
open a fresh database at the same moment cannot both create the schema.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from nlp.morph import lemmas

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUSY_TIMEOUT_MS = 10_000  # a writer waits this long for another one before "database is locked"

migrations = Migrations("norma")


def instance_dir() -> Path:
    """The folder for this installation's data: env NORMA_INSTANCE or `<project>/instance`."""
    env = os.environ.get("NORMA_INSTANCE")
    return Path(env) if env else PROJECT_DIR / "instance"


def default_db_path() -> Path:
    """The database file: env NORMA_DB, else `norma.db` in the instance folder."""
    env = os.environ.get("NORMA_DB")
    return Path(env) if env else instance_dir() / "norma.db"


def open_db(path: str | os.PathLike | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database and bring its schema up to date.

    WAL lets the web app read while an import writes; foreign keys are off by
    default in SQLite and must be switched on per connection. Safe to call any
    number of times: applied migrations are skipped. ":memory:" works too.
    """
    target = str(path) if path is not None else str(default_db_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(target)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if target != ":memory:":
        db.enable_wal()
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    if not migrations.pending(db):
        return []
    # BEGIN IMMEDIATE takes the write lock first, then pending() is asked again inside
    # apply(): a second process waiting here finds the work done instead of failing.
    with write_transaction(db):
        todo = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return todo


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing block of writes; nested use becomes a savepoint.

    Unlike `db.atomic()` (plain BEGIN) the outermost block starts with BEGIN IMMEDIATE:
    it takes the write lock before its first read, so a read-then-write (such as
    "find the latest version, then add the next") waits for a concurrent writer
    instead of failing on a stale WAL snapshot.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.commit()
    except BaseException:
        db.rollback()
        raise


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


def migration_names() -> list[str]:
    """Every migration this code knows, in the order they apply."""
    return [m.name for m in migrations._migrations]  # sqlite-utils has no public accessor


def lemma_text(text: str) -> str:
    """The text as the full-text index stores and is queried with: lemmas, ё folded.

    FTS5's unicode61 tokenizer neither stems Russian nor folds ё (NOTES.md), so both
    the indexed column and every query go through the same lemmatiser.
    """
    return " ".join(lemmas(text))


# --- migrations: append only; never edit one that has shipped -----------------------------


@migrations()
def m001_acts_and_units(db: sqlite_utils.Database) -> None:
    """Files as uploaded, the acts parsed from them, and each act's units."""
    db.execute("""
        CREATE TABLE files (
            sha256      TEXT PRIMARY KEY,
            name        TEXT NOT NULL,          -- the name it was first imported under
            size        INTEGER NOT NULL,
            format      TEXT NOT NULL,          -- as sniffed by parsers: docx, pdf, txt, md, html, rtf
            stored_path TEXT NOT NULL,          -- relative to the database's folder
            imported_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE acts (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids end up in URLs and audit
            file_sha256 TEXT NOT NULL REFERENCES files(sha256),
            version_of  INTEGER REFERENCES acts(id),         -- the previous version of the same act
            act_key     TEXT NOT NULL,                       -- what makes two files "the same act"
            title       TEXT,
            act_type    TEXT,
            number      TEXT,
            date        TEXT,
            issuer      TEXT,
            language    TEXT NOT NULL,
            format      TEXT NOT NULL,
            warnings    TEXT NOT NULL DEFAULT '[]',          -- JSON list of strings
            burden      TEXT,                                -- JSON, filled by extraction
            created_at  TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE units (
            act_id      INTEGER NOT NULL REFERENCES acts(id),
            seq         INTEGER NOT NULL,       -- document order, 0-based
            uid         TEXT NOT NULL,          -- the unit's id inside the act ("u12")
            parent_uid  TEXT,
            kind        TEXT NOT NULL,
            label       TEXT NOT NULL DEFAULT '',
            text        TEXT NOT NULL DEFAULT '',
            page        INTEGER,
            cells       TEXT,                   -- JSON list, table rows only
            role        TEXT,
            facts       TEXT,                   -- JSON, filled by extraction
            PRIMARY KEY (act_id, uid),
            UNIQUE (act_id, seq),
            FOREIGN KEY (act_id, parent_uid) REFERENCES units(act_id, uid) DEFERRABLE INITIALLY DEFERRED
        )""")


@migrations()
def m002_indexes_and_search(db: sqlite_utils.Database) -> None:
    """Lookups by act key and file, and a full-text index of units by lemma."""
    db.execute("CREATE INDEX acts_act_key ON acts(act_key, id)")
    db.execute("CREATE INDEX acts_file ON acts(file_sha256)")
    db.execute("CREATE INDEX acts_version_of ON acts(version_of)")
    # Standalone (not external-content): the indexed column is derived text that units
    # does not hold. act_id/uid are carried unindexed because a rowid of a table
    # without an INTEGER PRIMARY KEY may change on VACUUM.
    db.execute("""
        CREATE VIRTUAL TABLE units_fts USING fts5(
            act_id UNINDEXED, uid UNINDEXED, lemmas, tokenize = 'unicode61 remove_diacritics 0'
        )""")
    # Units written before this index existed (none in practice: m001 and m002 ship together).
    rows = db.execute("SELECT act_id, uid, text FROM units").fetchall()
    db.conn.executemany(
        "INSERT INTO units_fts(act_id, uid, lemmas) VALUES (?, ?, ?)",
        [(a, u, lemma_text(t)) for a, u, t in rows],
    )
