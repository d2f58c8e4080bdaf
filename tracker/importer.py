"""Import files and folders of acts into the database, one file at a time.

What a user can rely on:
- a batch never stops on a bad file: it is reported with the reason and the rest go on;
- a file that fails leaves the database exactly as it was (one transaction per file;
  only its content-addressed blob may remain, which is harmless);
- the same bytes imported again change nothing ("unchanged");
- a new file of an act already stored (same `acts.act_key`) is kept as its next
  version; the old version stays.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from parsers import Act, ParseError, parse_bytes
from parsers.api import MAX_BYTES
from tracker.acts import act_for_file, get_act, save_act
from tracker.db import write_transaction
from tracker.files import record_file, sha256_bytes, store_blob

# Extensions picked up when a folder is imported; a file named explicitly is always tried.
KNOWN_EXTENSIONS = frozenset({".docx", ".pdf", ".txt", ".md", ".html", ".htm", ".rtf"})

Status = Literal["imported", "version", "unchanged", "failed", "skipped"]
# unit id -> facts, and the act's burden; see the extraction issue
Extractor = Callable[[Act], tuple[dict[str, dict[str, Any]], dict[str, Any] | None]]
Progress = Callable[[int, int, Path], None]


@dataclass
class ImportEntry:
    path: Path
    status: Status
    act_id: int | None = None
    version_of: int | None = None
    reason: str | None = None       # why it failed or was skipped


@dataclass
class ImportReport:
    entries: list[ImportEntry] = field(default_factory=list)

    def _with(self, status: Status) -> list[ImportEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def imported(self) -> list[ImportEntry]:
        """New acts (not versions of stored ones)."""
        return self._with("imported")

    @property
    def versions(self) -> list[ImportEntry]:
        return self._with("version")

    @property
    def unchanged(self) -> list[ImportEntry]:
        return self._with("unchanged")

    @property
    def failed(self) -> list[ImportEntry]:
        return self._with("failed")

    @property
    def skipped(self) -> list[ImportEntry]:
        return self._with("skipped")

    @property
    def nothing_succeeded(self) -> bool:
        """True when no file was imported or found already stored (every one failed, or none found)."""
        return not (self.imported or self.versions or self.unchanged)


def expand_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[ImportEntry]]:
    """Files to import (folders walked recursively, in name order, each file once) and
    entries for what will not be tried: unsupported or hidden files in folders
    ("skipped") and paths that do not exist ("failed")."""
    files: list[Path] = []
    other: list[ImportEntry] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            # os.walk rather than rglob: it does not follow symlinked folders (no loops)
            # and lets hidden folders (.git) be pruned.
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    f = Path(root) / name
                    if name.startswith((".", "~$")):
                        other.append(ImportEntry(f, "skipped", reason="hidden or temporary file"))
                    elif f.suffix.lower() not in KNOWN_EXTENSIONS:
                        other.append(ImportEntry(f, "skipped", reason=f"not a supported type ({f.suffix or 'no extension'})"))
                    else:
                        add(f)
        elif p.exists():
            add(p)
        else:
            other.append(ImportEntry(p, "failed", reason="no such file or folder"))
    return files, other


def import_paths(db: sqlite_utils.Database, paths: Iterable[str | os.PathLike], *,
                 on_progress: Progress | None = None,
                 extract: Extractor | None = None, link: bool = False) -> ImportReport:
    """Import every file under `paths`; never raises for a bad file.

    `on_progress(done, total, path)` is called after each file. `extract`, when given,
    runs on each newly parsed act and its facts are stored with it in the same
    transaction (a failing extractor fails that file only). `link` proposes measure
    links for each newly stored act against the measures in the database.
    """
    files, other = expand_paths(paths)
    report = ImportReport(entries=list(other))
    for done, path in enumerate(files, 1):
        report.entries.append(import_file(db, path, extract=extract, link=link))
        if on_progress:
            on_progress(done, len(files), path)
    return report


def _read(path: Path) -> bytes:
    """The file's bytes, refusing what parsers.parse_file would refuse before reading."""
    try:
        st = path.stat()
        size = st.st_size
        if stat.S_ISDIR(st.st_mode):
            raise ParseError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):  # a FIFO or /dev/zero would block or never end
            raise ParseError("not a regular file")
        if size > MAX_BYTES:
            raise ParseError(f"too large: {size} bytes, the limit is {MAX_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file ({exc.strerror})") from None


def import_file(db: sqlite_utils.Database, path: Path, *, extract: Extractor | None = None,
                link: bool = False) -> ImportEntry:
    """Import one file; the entry says what happened. Never raises for a bad file."""
    try:
        data = _read(path)
    except ParseError as exc:
        return ImportEntry(path, "failed", reason=str(exc))
    sha = sha256_bytes(data)
    known = act_for_file(db, sha)
    if known is not None:  # before parsing: re-importing a folder must be cheap
        return ImportEntry(path, "unchanged", act_id=known)
    # parse_bytes on the bytes already read, not parse_file: the bytes hashed and
    # stored are then exactly the bytes parsed, even if the file changes meanwhile.
    try:
        act = parse_bytes(data, path.name)
    except ParseError as exc:
        return ImportEntry(path, "failed", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a hostile file must not stop the batch
        return ImportEntry(path, "failed", reason=f"cannot be read ({type(exc).__name__}: {exc})")
    facts: dict[str, dict[str, Any]] | None = None
    burden: dict[str, Any] | None = None
    if extract is not None:
        try:
            facts, burden = extract(act)
        except Exception as exc:  # noqa: BLE001
            return ImportEntry(path, "failed", reason=f"extraction failed ({type(exc).__name__}: {exc})")
    try:
        _, stored = store_blob(db, data)
        with write_transaction(db):
            known = act_for_file(db, sha)  # another process may have stored it meanwhile
            if known is not None:
                return ImportEntry(path, "unchanged", act_id=known)
            record_file(db, sha256=sha, name=path.name, size=len(data), fmt=act.format, stored_path=stored)
            act_id = save_act(db, act, sha, facts=facts, burden=burden)
            row = get_act(db, act_id)
    except Exception as exc:  # noqa: BLE001 - rolled back; report and go on
        return ImportEntry(path, "failed", reason=f"cannot be stored ({type(exc).__name__}: {exc})")
    version_of = row["version_of"] if row else None
    entry = ImportEntry(path, "version" if version_of else "imported", act_id=act_id, version_of=version_of)
    if link:
        from tracker.analysis import link_stored_act

        try:
            link_stored_act(db, act_id)
        except Exception as exc:  # noqa: BLE001 - the act is stored; links can be re-run
            entry.reason = f"stored, but linking to measures failed ({type(exc).__name__}: {exc})"
    return entry
