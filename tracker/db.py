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
import functools
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from nlp.morph import lemmas

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUSY_TIMEOUT_MS = 10_000  # a writer waits this long for another one before "database is locked"

migrations = Migrations("norma")


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, with reads that run as one plain statement.

    sqlite-utils 4 runs every `query()` inside SAVEPOINT ... RELEASE, so that a statement that
    turns out to write can be rolled back. Norma's reads (a page makes ten to twenty) then cost
    three statements each, and every statement hands Python's lock to another server thread
    and back. A query that is plainly a read (SELECT or WITH, and no writing keyword anywhere
    in it) is executed directly; anything else still goes through the library's guard.
    """

    def query(self, sql: str, params: Sequence | dict | None = None):  # noqa: ANN201 - as the base
        if not _plain_read(sql):
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [d[0] for d in cursor.description]
        if len(set(keys)) != len(keys):  # duplicate column names: the library renames them
            return super().query(sql, params)
        return (dict(zip(keys, row, strict=True)) for row in cursor)


_PLAIN_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|ATTACH|VACUUM)\b",
                         re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _plain_read(sql: str) -> bool:
    """Whether `sql` is plainly a read. Remembered per statement text: Norma's statements are
    a few hundred constant strings, and the keyword search takes ~80 µs over a long one."""
    return bool(_PLAIN_READ.match(sql)) and not _WRITE_WORD.search(sql)


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
    db = Database(target)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if target == ":memory:":
        migrate(db)
        return db
    db.enable_wal()
    # No memory-mapped I/O (PRAGMA mmap_size stays 0): in WAL mode a connection whose next read
    # finds the database changed by another one drops its whole mapping along with its page
    # cache (pager.c, pagerBeginReadTransaction). With verdicts being written all the time,
    # strace showed a server process remapping 256 MB ~130 times a second and faulting every
    # page in again. Without it: 3.4 instead of 3.75 ms of server CPU a request (bench/bench_web.py,
    # seven interleaved pairs, lower in six, equal in one), and a single search costs the same.

    # The web app opens the database on every request: asking which migrations are pending
    # costs a query and a Python scan each time. A process remembers the schema version it
    # found current for a path; a database replaced or changed by anyone else has another
    # schema_version (it counts every schema change, a new file starts at 0) and is checked.
    key = str(Path(target).resolve())
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    if _current_schema.get(key) != version:
        migrate(db)
        _current_schema[key] = db.execute("PRAGMA schema_version").fetchone()[0]
    return db


_current_schema: dict[str, int] = {}  # resolved path -> schema_version seen fully migrated here


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


@migrations()
def m010_users_agencies(db: sqlite_utils.Database) -> None:
    """Agencies (state bodies that review their acts) and the people who log in."""
    db.execute("""
        CREATE TABLE agencies (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            name        TEXT NOT NULL,
            name_key    TEXT NOT NULL UNIQUE,   -- casefolded name: "Минюст" and "МИНЮСТ" are one agency
            email       TEXT,
            created_at  TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE users (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            email         TEXT NOT NULL UNIQUE,  -- stored casefolded (SQLite's NOCASE folds ASCII only)
            name          TEXT NOT NULL DEFAULT '',
            role          TEXT NOT NULL CHECK (role IN ('admin', 'lawyer', 'agency', 'viewer')),
            agency_id     INTEGER REFERENCES agencies(id),
            lang          TEXT NOT NULL DEFAULT 'ru',
            password_hash TEXT NOT NULL,
            active        INTEGER NOT NULL DEFAULT 1,
            created_at    TEXT NOT NULL,
            CHECK (role != 'agency' OR agency_id IS NOT NULL)
        )""")
    db.execute("CREATE INDEX users_agency ON users(agency_id)")


@migrations()
def m011_campaigns_verdicts_audit(db: sqlite_utils.Database) -> None:
    """Review campaigns, which agency reviews which act, clause verdicts, comments, audit trail."""
    db.execute("""
        CREATE TABLE campaigns (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            name             TEXT NOT NULL,
            country          TEXT NOT NULL CHECK (country IN ('KZ', 'KG')),
            instruction_date TEXT NOT NULL,          -- ISO yyyy-mm-dd
            deadline         TEXT NOT NULL,          -- ISO yyyy-mm-dd
            measure_ids      TEXT NOT NULL DEFAULT '[]',  -- JSON list of measure ids ("M14")
            created_by       INTEGER REFERENCES users(id),
            created_at       TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE assignments (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            act_id      INTEGER NOT NULL REFERENCES acts(id),
            agency_id   INTEGER NOT NULL REFERENCES agencies(id),
            status      TEXT NOT NULL DEFAULT 'not_started'
                        CHECK (status IN ('not_started', 'in_progress', 'reviewed')),
            assigned_at TEXT NOT NULL,
            assigned_by INTEGER REFERENCES users(id),
            finished_at TEXT,
            finished_by INTEGER REFERENCES users(id),
            PRIMARY KEY (campaign_id, act_id)      -- an act has one reviewing agency per campaign
        )""")
    db.execute("CREATE INDEX assignments_agency ON assignments(agency_id, campaign_id)")
    db.execute("CREATE INDEX assignments_act ON assignments(act_id)")
    db.execute("""
        CREATE TABLE verdicts (
            campaign_id INTEGER NOT NULL,
            act_id      INTEGER NOT NULL,
            uid         TEXT NOT NULL,
            verdict     TEXT NOT NULL
                        CHECK (verdict IN ('keep', 'amend', 'repeal', 'duplicative', 'not_applicable')),
            reason      TEXT NOT NULL DEFAULT '',
            new_wording TEXT NOT NULL DEFAULT '',
            comment     TEXT NOT NULL DEFAULT '',
            user_id     INTEGER REFERENCES users(id),
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (campaign_id, act_id, uid),
            FOREIGN KEY (campaign_id, act_id) REFERENCES assignments(campaign_id, act_id),
            FOREIGN KEY (act_id, uid) REFERENCES units(act_id, uid)
        )""")
    db.execute("""
        CREATE TABLE comments (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            campaign_id INTEGER NOT NULL,
            act_id      INTEGER NOT NULL,
            uid         TEXT NOT NULL,
            user_id     INTEGER REFERENCES users(id),
            text        TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            FOREIGN KEY (campaign_id, act_id) REFERENCES assignments(campaign_id, act_id),
            FOREIGN KEY (act_id, uid) REFERENCES units(act_id, uid)
        )""")
    db.execute("CREATE INDEX comments_clause ON comments(campaign_id, act_id, uid, id)")
    db.execute("""
        CREATE TABLE audit_log (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            at          TEXT NOT NULL,              -- UTC ISO 8601
            user_id     INTEGER,                    -- no FK: the trail outlives any user row
            user_email  TEXT,                       -- as it was when the change was made
            action      TEXT NOT NULL,
            entity      TEXT NOT NULL,
            entity_id   TEXT,
            campaign_id INTEGER,
            act_id      INTEGER,
            uid         TEXT,
            before      TEXT,                       -- JSON
            after       TEXT                        -- JSON
        )""")
    db.execute("CREATE INDEX audit_act ON audit_log(act_id, uid, id)")
    db.execute("CREATE INDEX audit_campaign ON audit_log(campaign_id, id)")
    # The trail is evidence: refuse edits and deletions at the database itself.
    for op in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")


@migrations()
def m012_jobs(db: sqlite_utils.Database) -> None:
    """Background jobs (today: importing an uploaded file), run by tracker.jobs' worker."""
    db.execute("""
        CREATE TABLE jobs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            kind        TEXT NOT NULL DEFAULT 'import',
            status      TEXT NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'running', 'done', 'failed')),
            filename    TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,              -- the uploaded bytes, in tracker.files' store
            size        INTEGER NOT NULL,
            user_id     INTEGER REFERENCES users(id),
            message     TEXT NOT NULL DEFAULT '',
            act_id      INTEGER REFERENCES acts(id),
            created_at  TEXT NOT NULL,
            started_at  TEXT,
            finished_at TEXT
        )""")
    db.execute("CREATE INDEX jobs_status ON jobs(status, id)")
    db.execute("CREATE INDEX jobs_user ON jobs(user_id, id)")


@migrations()
def m020_measures_and_links(db: sqlite_utils.Database) -> None:
    """Proposed measures, and the links of clauses to them with a lawyer's decision (tracker.links)."""
    db.execute("""
        CREATE TABLE measures (
            id          TEXT PRIMARY KEY,           -- "M14", or the plan's row number
            ru          TEXT NOT NULL DEFAULT '',
            en          TEXT,
            kk          TEXT,
            source      TEXT,
            deadline    TEXT,                       -- as printed in the plan ("II квартал 1997 г.")
            responsible TEXT,
            section     TEXT,
            imported_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE measure_links (
            act_id      INTEGER NOT NULL,
            uid         TEXT NOT NULL,
            measure_id  TEXT NOT NULL,              -- no FK: a link outlives a re-imported list
            status      TEXT NOT NULL
                        CHECK (status IN ('proposed', 'confirmed', 'rejected', 'added')),
            score       REAL,                       -- the linker's, NULL for a link added by hand
            why         TEXT NOT NULL DEFAULT '',
            decided_by  INTEGER REFERENCES users(id),
            decided_at  TEXT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (act_id, uid, measure_id),
            FOREIGN KEY (act_id, uid) REFERENCES units(act_id, uid)
        )""")
    db.execute("CREATE INDEX measure_links_measure ON measure_links(measure_id, status)")


@migrations()
def m030_mail(db: sqlite_utils.Database) -> None:
    """The mail send log (one row per message ever due, claimed by a unique key) and its events."""
    db.execute("""
        CREATE TABLE mail_log (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            key             TEXT NOT NULL UNIQUE,   -- campaign:kind:audience:recipient:period, claimed once
            campaign_id     INTEGER REFERENCES campaigns(id),   -- NULL for a test message
            kind            TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue', 'weekly', 'manual', 'test')),
            audience        TEXT NOT NULL CHECK (audience IN ('agency', 'ministry', 'test')),
            agency_id       INTEGER REFERENCES agencies(id),    -- the agency reported on
            user_id         INTEGER REFERENCES users(id),       -- the recipient, when a user
            recipient       TEXT NOT NULL,                      -- the address
            lang            TEXT NOT NULL DEFAULT 'ru',
            period          TEXT NOT NULL,      -- e.g. 2025-03-31/d7, 2025-04-02, week-2025-03-31, at-...
            status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                            ('pending', 'sending', 'retry', 'sent', 'failed', 'possibly_sent')),
            subject         TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,               -- UTC ISO; NULL = as soon as possible
            last_error      TEXT,
            due_at          TEXT NOT NULL,      -- UTC ISO: when the message was first due
            claimed_at      TEXT,               -- UTC ISO: start of the current or last attempt
            claimed_by      TEXT,               -- host:pid:run of the run that made it
            sent_at         TEXT,
            message_id      TEXT,
            requested_by    INTEGER REFERENCES users(id),       -- who asked: send now, resend
            created_at      TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX mail_log_todo ON mail_log(status, next_attempt_at)")
    db.execute("CREATE INDEX mail_log_campaign ON mail_log(campaign_id, id)")
    db.execute("""
        CREATE TABLE mail_events (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            log_id   INTEGER NOT NULL REFERENCES mail_log(id),
            at       TEXT NOT NULL,             -- UTC ISO
            event    TEXT NOT NULL,             -- due, sent, retry, failed, possibly_sent, resend, render
            detail   TEXT NOT NULL DEFAULT '',
            user_id  INTEGER                    -- a person's action (resend); NULL for the system
        )""")
    db.execute("CREATE INDEX mail_events_log ON mail_events(log_id, id)")


@migrations()
def m040_search_within_acts(db: sqlite_utils.Database) -> None:
    """The full-text index gets an indexed `act` column holding one token per row ("a<act id>").

    An agency searches only its assigned acts. Filtering on the unindexed act_id column reads
    every match's stored row (~1 µs each, 100k matches for a common word), and ranking first
    then filtering misses matches outranked by other acts. With the act as a token, the
    restriction is part of the MATCH (`lemmas : (...) AND act : (a1 OR a7)`), so FTS5 walks
    only the rows of those acts. tracker.acts writes the same token (`_act_token`).
    FTS5 cannot add a column: the index is copied (rowids kept), the old one dropped.
    """
    db.execute("""
        CREATE VIRTUAL TABLE units_fts_m040 USING fts5(
            act_id UNINDEXED, uid UNINDEXED, lemmas, act, tokenize = 'unicode61 remove_diacritics 0'
        )""")
    db.execute("INSERT INTO units_fts_m040(rowid, act_id, uid, lemmas, act)"
               " SELECT rowid, act_id, uid, lemmas, 'a' || act_id FROM units_fts")
    db.execute("DROP TABLE units_fts")
    db.execute("ALTER TABLE units_fts_m040 RENAME TO units_fts")
    # one b-tree per term instead of the bulk copy's many segments: ~1 s for 500,000 units
    db.execute("INSERT INTO units_fts(units_fts) VALUES ('optimize')")


@migrations()
def m041_clause_counts(db: sqlite_utils.Database) -> None:
    """Each act's number of clauses, and each assignment's number of clauses with a verdict.

    Progress figures (tracker.campaigns.assignments/progress) used to count both with
    subqueries over units for every assigned act on every call (~0.2 s for 1,000 acts).
    `acts.clause_count` is filled when an act is saved (NULL: not counted, computed on read);
    `assignments.clauses_reviewed` is kept by triggers on verdicts, so every writer keeps it
    right. Units never change after import, so a clause stays a clause.
    What a clause is comes from tracker.campaigns.is_clause_sql as it is when this runs: a
    change of that rule needs a new migration that recreates these triggers and recounts.
    """
    from tracker.campaigns import is_clause_sql  # the one definition; imported here to avoid a cycle

    clause = is_clause_sql("u")
    db.execute("ALTER TABLE acts ADD COLUMN clause_count INTEGER")
    db.execute("ALTER TABLE assignments ADD COLUMN clauses_reviewed INTEGER NOT NULL DEFAULT 0")
    db.execute(f"UPDATE acts SET clause_count = (SELECT COUNT(*) FROM units u WHERE u.act_id = acts.id AND {clause})")
    db.execute(f"""
        UPDATE assignments SET clauses_reviewed = (
            SELECT COUNT(*) FROM verdicts v JOIN units u ON u.act_id = v.act_id AND u.uid = v.uid
            WHERE v.campaign_id = assignments.campaign_id AND v.act_id = assignments.act_id AND {clause})""")

    def is_clause(row: str) -> str:
        return f"EXISTS (SELECT 1 FROM units u WHERE u.act_id = {row}.act_id AND u.uid = {row}.uid AND {clause})"

    def bump(row: str, delta: str) -> str:
        return (f"UPDATE assignments SET clauses_reviewed = clauses_reviewed {delta} 1"
                f" WHERE campaign_id = {row}.campaign_id AND act_id = {row}.act_id AND {is_clause(row)};")

    db.execute(f"CREATE TRIGGER verdicts_count_insert AFTER INSERT ON verdicts BEGIN {bump('NEW', '+')} END")
    db.execute(f"CREATE TRIGGER verdicts_count_delete AFTER DELETE ON verdicts BEGIN {bump('OLD', '-')} END")
    db.execute(f"""CREATE TRIGGER verdicts_count_move AFTER UPDATE OF campaign_id, act_id, uid ON verdicts
                   BEGIN {bump('OLD', '-')} {bump('NEW', '+')} END""")


@migrations()
def m042_login_failures(db: sqlite_utils.Database) -> None:
    """Failed logins of the last minutes, so that password guessing is slowed (tracker.logins).

    Kept in the database rather than in server memory: every server process sees the same
    count, and a restart does not hand out fresh attempts.
    """
    db.execute("""
        CREATE TABLE login_failures (
            email  TEXT NOT NULL,   -- normalised, as tracker.users.normalize_email makes it
            client TEXT NOT NULL,   -- the address the attempt came from
            at     TEXT NOT NULL    -- UTC, ISO 8601
        )""")
    db.execute("CREATE INDEX login_failures_by_email ON login_failures(email, at)")


@migrations()
def m043_login_known_addresses(db: sqlite_utils.Database) -> None:
    """Addresses each account has logged in from: guessing spread over many addresses must not
    lock the owner out of their own usual address (tracker.logins)."""
    db.execute("""
        CREATE TABLE login_known (
            email  TEXT NOT NULL,
            client TEXT NOT NULL,
            at     TEXT NOT NULL,   -- the last successful login from there, UTC ISO 8601
            PRIMARY KEY (email, client)
        )""")


@migrations()
def m044_agency_search_indexes(db: sqlite_utils.Database) -> None:
    """Which agencies have their own full-text index, and for which acts (tracker.search_index).

    The indexes themselves (units_fts_agency<N>) are made by tracker.search_index, not here.
    A later migration that rebuilds units_fts with other rowids must empty this table: the
    agency indexes hold units_fts rowids and are then rebuilt.
    """
    db.execute("""
        CREATE TABLE agency_search_indexes (
            agency_id INTEGER PRIMARY KEY,
            stamp     TEXT NOT NULL,      -- tracker.search_index.stamp of the acts it holds
            units     INTEGER NOT NULL,   -- rows (clauses) in the index; 0: none built, units_fts is searched
            built_at  TEXT NOT NULL       -- UTC, ISO 8601
        )""")


@migrations()
def m045_campaign_progress_version(db: sqlite_utils.Database) -> None:
    """campaigns.progress_version counts the changes to a campaign's assignments that change its
    progress figures other than by a verdict: an act assigned, taken out, given to another agency,
    finished or reopened.

    The dashboard's cached figures key on it (tracker.campaigns.progress_stamp): reading one
    row instead of counting every assignment of the campaign on each visit (~0.3 ms for 1,000
    acts). Triggers keep it, so no writer can forget to.
    """
    db.execute("ALTER TABLE campaigns ADD COLUMN progress_version INTEGER NOT NULL DEFAULT 0")
    bump = "UPDATE campaigns SET progress_version = progress_version + 1 WHERE id"
    db.execute(f"CREATE TRIGGER assignments_progress_insert AFTER INSERT ON assignments"
               f" BEGIN {bump} = NEW.campaign_id; END")
    db.execute(f"CREATE TRIGGER assignments_progress_delete AFTER DELETE ON assignments"
               f" BEGIN {bump} = OLD.campaign_id; END")
    db.execute(f"""CREATE TRIGGER assignments_progress_update
        AFTER UPDATE OF campaign_id, act_id, agency_id, status ON assignments
        WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.act_id IS NOT NEW.act_id
          OR OLD.agency_id IS NOT NEW.agency_id OR (OLD.status = 'reviewed') IS NOT (NEW.status = 'reviewed')
        BEGIN {bump} IN (OLD.campaign_id, NEW.campaign_id); END""")
