"""Background jobs: uploaded files parsed and imported outside the web request.

DESIGN.md: "jobs go through one small job interface (today a table and a worker
thread)". A job is a row in `jobs`; its bytes wait in tracker.files' content store.
One daemon thread per process takes queued jobs in order. Taking a job is a single
UPDATE in a write transaction, so several processes (several web workers, each with
its own thread) never run the same job twice. Moving to Celery/RQ later means
replacing `start_worker` and the body of `enqueue_import`, nothing else.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from parsers.api import MAX_BYTES
from tracker.dates import now_utc
from tracker.db import open_db, write_transaction
from tracker.files import read_blob, store_blob
from tracker.search_index import fingerprint, refresh_stale

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "failed")
# A job "running" for longer than this was cut off (process killed mid-import): the
# worker marks it failed on start instead of leaving it spinning forever in the UI.
STALE_AFTER = timedelta(hours=1)

INDEX_PAUSE_SECONDS = 0.25  # between two rebuilds of agency search indexes (Worker.run)
INDEX_RECHECK_SECONDS = 300  # a full look for stale indexes even when the fingerprint stood still

_wakeup = threading.Event()  # set by enqueue_import so an idle worker in this process starts at once


def _clean_name(filename: str) -> str:
    """The file's own name: browsers may send "C:\\Users\\...\\a.docx" or "../a.docx"."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()  # no NUL or control characters
    if len(name.encode("utf-8")) > 200:  # file systems take 255 bytes; keep the extension
        stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and len(ext) <= 10 else ""
        stem = stem if dot and ext else name
        name = stem.encode("utf-8")[: 200 - len(ext.encode())].decode("utf-8", "ignore") + ext
    return name if name not in ("", ".", "..") else "upload"


def _database(db_or_path: sqlite_utils.Database | str | os.PathLike) -> tuple[sqlite_utils.Database, bool]:
    if isinstance(db_or_path, sqlite_utils.Database):
        return db_or_path, False
    return open_db(db_or_path), True


def enqueue_import(db_path: str | os.PathLike | sqlite_utils.Database, filename: str, data: bytes, *,
                   user_id: int | None) -> int:
    """Queue an uploaded file for import; return the job id. Never raises for bad content:
    a file the parser refuses ends as a failed job with the reason. Bytes over the parser's
    limit are not stored at all and the job is failed at once."""
    db, own = _database(db_path)
    name = _clean_name(filename)
    try:
        if len(data) > MAX_BYTES:
            with write_transaction(db):
                cursor = db.execute(
                    "INSERT INTO jobs(kind, status, filename, file_sha256, size, user_id, message, created_at,"
                    " finished_at) VALUES ('import', 'failed', ?, '', ?, ?, ?, ?, ?)",
                    [name, len(data), user_id, f"too large: {len(data)} bytes, the limit is {MAX_BYTES} bytes",
                     now_utc(), now_utc()])
            return int(cursor.lastrowid)
        sha, _rel = store_blob(db, data)
        with write_transaction(db):
            cursor = db.execute(
                "INSERT INTO jobs(kind, filename, file_sha256, size, user_id, created_at)"
                " VALUES ('import', ?, ?, ?, ?, ?)", [name, sha, len(data), user_id, now_utc()])
        _wakeup.set()
        return int(cursor.lastrowid)
    finally:
        if own:
            db.close()


def job(db: sqlite_utils.Database, job_id: int) -> dict[str, Any] | None:
    """The job: id, filename, status (queued/running/done/failed), message, act_id, user_id, times."""
    rows = list(db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
    return rows[0] if rows else None


def jobs_for_user(db: sqlite_utils.Database, user_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    """The user's jobs, newest first."""
    return list(db.query("SELECT * FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT ?", [user_id, limit]))


def _claim(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """Take the oldest queued job (mark it running); None when there is none."""
    with write_transaction(db):
        row = db.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        db.execute("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
                   [now_utc(), row[0]])
    return job(db, row[0])


def _finish(db: sqlite_utils.Database, job_id: int, status: str, message: str, act_id: int | None) -> None:
    with write_transaction(db):
        db.execute("UPDATE jobs SET status = ?, message = ?, act_id = ?, finished_at = ? WHERE id = ?",
                   [status, message, act_id, now_utc(), job_id])


_DONE_MESSAGES = {
    "imported": "imported as act {act_id}",
    "version": "imported as act {act_id}, a new version of act {version_of}",
    "unchanged": "already imported as act {act_id}",
}


def _run(db: sqlite_utils.Database, row: dict[str, Any], extract=None) -> None:
    """Import one claimed job's bytes; record done (with the act) or failed (with the reason)."""
    from tracker.importer import import_file

    try:
        data = read_blob(db, row["file_sha256"])
    except OSError:
        _finish(db, row["id"], "failed", "the uploaded file is missing from the store", None)
        return
    # import_file takes a path and stores the file under its name: write the bytes to a
    # private folder under the name the user uploaded (the importer has no bytes entry).
    with tempfile.TemporaryDirectory(prefix="norma-job-") as folder:
        path = Path(folder) / row["filename"]
        path.write_bytes(data)
        # a worker that extracts facts also proposes measure links: the act is then
        # stored exactly as `python -m tracker import` stores it
        entry = import_file(db, path, extract=extract, link=extract is not None)
    if entry.status == "failed":
        _finish(db, row["id"], "failed", entry.reason or "cannot be imported", None)
    else:
        message = _DONE_MESSAGES.get(entry.status, entry.status).format(
            act_id=entry.act_id, version_of=entry.version_of)
        _finish(db, row["id"], "done", message, entry.act_id)


def run_one(db: sqlite_utils.Database, *, extract=None) -> int | None:
    """Run the oldest queued job, if any; return its id. Never raises for a bad job."""
    row = _claim(db)
    if row is None:
        return None
    try:
        _run(db, row, extract)
    except Exception as exc:  # noqa: BLE001 - one broken job must not stop the worker
        log.exception("job %s failed", row["id"])
        _finish(db, row["id"], "failed", f"cannot be imported ({type(exc).__name__}: {exc})", None)
    return row["id"]


def run_pending(db: sqlite_utils.Database, *, extract=None) -> list[int]:
    """Run every queued job now, in this thread (tests, the CLI); return their ids in order."""
    done = []
    while (job_id := run_one(db, extract=extract)) is not None:
        done.append(job_id)
    return done


def fail_stale(db: sqlite_utils.Database, *, older_than: timedelta = STALE_AFTER) -> int:
    """Mark jobs left "running" by a process that died as failed; return how many."""
    cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="seconds")
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE jobs SET status = 'failed', message = 'interrupted (the server stopped during the import)',"
            " finished_at = ? WHERE status = 'running' AND started_at < ?", [now_utc(), cutoff])
    return cursor.rowcount


class Worker(threading.Thread):
    """The job thread: opens its own connection (sqlite3 connections belong to one thread),
    runs queued jobs in order; with none waiting, rebuilds the agency search indexes that
    assignments made stale (tracker.search_index), one at a time; sleeps until woken or
    `poll_seconds` pass."""

    def __init__(self, db_path: str | os.PathLike, *, poll_seconds: float = 2.0, extract=None):
        super().__init__(name="norma-jobs", daemon=True)
        self.db_path = db_path
        self.poll_seconds = poll_seconds
        self.extract = extract
        self._stop_event = threading.Event()
        self._indexes_seen: tuple | None = None  # search_index.fingerprint when all were current
        self._indexes_next_look = 0.0  # time.monotonic() of the next look regardless

    def _refresh_one_index(self, db: sqlite_utils.Database) -> bool:
        """Rebuild one stale agency search index; True if one was rebuilt. Looks for stale ones
        (a pass over every assignment) only when the assignments' fingerprint moved, and every
        INDEX_RECHECK_SECONDS in any case."""
        mark, now = fingerprint(db), time.monotonic()
        if mark == self._indexes_seen and now < self._indexes_next_look:
            return False
        if refresh_stale(db, limit=1):
            self._indexes_seen = None  # look again next turn: more may be stale
            return True
        self._indexes_seen, self._indexes_next_look = mark, now + INDEX_RECHECK_SECONDS
        return False

    def run(self) -> None:
        db = open_db(self.db_path)
        try:
            fail_stale(db)
            while not self._stop_event.is_set():
                try:
                    busy = run_one(db, extract=self.extract) is not None
                    if not busy and self._refresh_one_index(db):  # nothing to import: one agency's index
                        busy = True
                        # each rebuild holds the write lock (~0.1-0.5 s): a pause before the next
                        # one lets the verdicts waiting for it in, however many indexes are stale
                        self._stop_event.wait(INDEX_PAUSE_SECONDS)
                except Exception:  # noqa: BLE001 - e.g. "database is locked": wait and retry
                    log.exception("job worker")
                    busy = False
                if not busy:
                    _wakeup.wait(self.poll_seconds)
                    _wakeup.clear()
        finally:
            db.close()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the thread to end after its current job and wait for it."""
        self._stop_event.set()
        _wakeup.set()
        self.join(timeout)


def start_worker(db_path: str | os.PathLike, *, poll_seconds: float = 2.0, extract=None) -> Worker:
    """Start the job thread for this database and return it (call `stop()` to end it)."""
    worker = Worker(db_path, poll_seconds=poll_seconds, extract=extract)
    worker.start()
    return worker
