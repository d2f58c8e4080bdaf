"""Every imported file kept exactly as uploaded, addressed by its SHA-256.

A reviewer must be able to download the very bytes an act was parsed from, and
re-parse them when the parsers improve. Content addressing makes storing the same
file twice a no-op and makes a blob written by a failed import harmless: the next
import of those bytes reuses it.

Blobs live beside the database, in `<db folder>/files/<sha[:2]>/<sha>`; with the
default database (`<instance>/norma.db`) that is `<instance>/files/`. The `files`
table records the path relative to the database's folder, so the folder can move.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from tracker.db import instance_dir


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def db_folder(db: sqlite_utils.Database) -> Path:
    """The folder of the database file; the instance folder for an in-memory database."""
    for _seq, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file).parent
    return instance_dir()


def relative_blob_path(sha256: str) -> str:
    return f"files/{sha256[:2]}/{sha256}"


def blob_path(db: sqlite_utils.Database, sha256: str) -> Path:
    return db_folder(db) / relative_blob_path(sha256)


def store_blob(db: sqlite_utils.Database, data: bytes) -> tuple[str, str]:
    """Write `data` to the store; return (sha256, path relative to the db folder).

    Written to a temporary file in the target folder, flushed to disk, then renamed
    over the final name: a reader (or a crash) never sees a half-written blob.
    Rewriting an existing blob is harmless (same bytes) and repairs a damaged one.
    """
    sha = sha256_bytes(data)
    rel = relative_blob_path(sha)
    final = db_folder(db) / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{sha[:12]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, rel


def read_blob(db: sqlite_utils.Database, sha256: str) -> bytes:
    """The stored bytes of a file; FileNotFoundError if the blob is missing."""
    return blob_path(db, sha256).read_bytes()


def record_file(db: sqlite_utils.Database, *, sha256: str, name: str, size: int, fmt: str,
                stored_path: str) -> None:
    """Add a row to `files` (inside the caller's transaction); a known sha is left as it is."""
    db.execute(
        "INSERT INTO files(sha256, name, size, format, stored_path, imported_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(sha256) DO NOTHING",
        [sha256, name, size, fmt, stored_path, datetime.now(UTC).isoformat(timespec="seconds")],
    )


def get_file(db: sqlite_utils.Database, sha256: str) -> dict[str, Any] | None:
    row = db.execute_returning_dicts("SELECT * FROM files WHERE sha256 = ?", [sha256])
    return row[0] if row else None
