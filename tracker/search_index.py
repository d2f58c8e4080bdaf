"""Each agency's own full-text index, so that its staff's searches cost what their acts cost.

Why: search ranks with FTS5's bm25, which first counts, for every word of the query, the
rows holding it in the *whole* index. For a common word ("заявление", "юридическое лицо")
that is a walk over 30,000-130,000 of 500,000 rows even when the search is limited to an
agency's 50 acts: ~5 of the ~6 ms such a search takes (bench/bench_web.py's database). An
index of the agency's acts alone is searched in ~0.8 ms and matches the same clauses; its
ranking weighs a word by how rare it is among the agency's own acts, which are what its staff
search, so when more clauses match than a page shows, the best ones shown may differ a little.

Each index (`units_fts_agency<N>`) is contentless: the lemma index alone, under the rowids of
units_fts, which the hits are joined to. `agency_search_indexes` records the acts each was
built from as a hash (`stamp`). A search uses an agency's index only while that stamp equals
the hash of the acts the user may read now, checked in the same read transaction as the search
itself; otherwise it searches units_fts as before. An index that lags behind a change of
assignments therefore changes the speed of a search, never what it may see or find.

`refresh_stale` (re)builds the indexes that no longer match the assignments: each server
process's job thread calls it when no import is waiting (tracker.jobs), and
`python -m tracker search-index` does at once. A rebuild replaces the agency's index in one
write transaction (~0.1 s for 50 acts, 5,000 clauses; ~0.6 s for 60,000). An agency with more
than MAX_UNITS clauses gets no index of its own (its row says 0 units) and searches units_fts:
its rebuild would hold the write lock for seconds, and with a large share of all acts its own
index would save little. Clauses never change after import (a new version is a new act), so
assignments are all that can make an index stale.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from tracker.access import agency_act_ids
from tracker.acts import ACTS_IN_MATCH_MAX, _act_token, search_units
from tracker.dates import now_utc
from tracker.db import write_transaction

log = logging.getLogger(__name__)

MAX_UNITS = 100_000  # clauses; an agency with more searches units_fts (~1 s of write lock to rebuild)


def table_name(agency_id: int) -> str:
    """The agency's index table (tracker.acts.search_units accepts only names of this form)."""
    return f"units_fts_agency{int(agency_id)}"


def stamp(act_ids: Iterable[int]) -> str:
    """A short hash naming a set of acts."""
    text = ",".join(str(a) for a in sorted({int(a) for a in act_ids}))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def current_index(db: sqlite_utils.Database, agency_id: int, act_ids: Iterable[int]) -> str | None:
    """The agency's index if it holds exactly `act_ids` (and was built: not over MAX_UNITS), else None."""
    row = db.execute("SELECT stamp, units FROM agency_search_indexes WHERE agency_id = ?", [agency_id]).fetchone()
    return table_name(agency_id) if row is not None and row[0] == stamp(act_ids) and row[1] > 0 else None


def search(db: sqlite_utils.Database, text: str, *, agency_id: int, act_ids: Iterable[int],
           limit: int = 50) -> list[dict[str, Any]]:
    """tracker.acts.search_units within `act_ids` (the acts the agency's staff may read), done
    in the agency's own index when it holds exactly those acts, else in units_fts."""
    act_ids = set(act_ids)
    own = not db.conn.in_transaction
    if own:
        db.execute("BEGIN")  # one snapshot: a rebuild cannot land between the check and the search
    try:
        within = current_index(db, agency_id, act_ids) if act_ids else None
        return search_units(db, text, act_ids=act_ids, limit=limit, within=within)
    finally:
        if own:
            db.conn.rollback()  # nothing was written; ends the read transaction


def stale(db: sqlite_utils.Database) -> list[int]:
    """Agencies whose index does not match their assigned acts (or that have an index and no acts)."""
    acts: dict[int, list[int]] = {}
    for agency_id, act_id in db.execute("SELECT DISTINCT agency_id, act_id FROM assignments").fetchall():
        acts.setdefault(agency_id, []).append(act_id)
    want = {agency: stamp(ids) for agency, ids in acts.items()}
    have = dict(db.execute("SELECT agency_id, stamp FROM agency_search_indexes").fetchall())
    return sorted(a for a in want.keys() | have.keys() if want.get(a) != have.get(a))


def refresh(db: sqlite_utils.Database, agency_id: int) -> bool:
    """Rebuild the agency's index unless it is current; drop it if the agency has no acts left.

    True if anything changed. Safe with several processes at it: the check is repeated inside
    the write transaction, so a second process finds the first one's index current.
    """
    name = table_name(agency_id)
    with write_transaction(db):
        ids = sorted(agency_act_ids(db, agency_id))
        row = db.execute("SELECT stamp FROM agency_search_indexes WHERE agency_id = ?", [agency_id]).fetchone()
        if not ids:
            db.execute(f"DROP TABLE IF EXISTS {name}")
            return db.execute("DELETE FROM agency_search_indexes WHERE agency_id = ?", [agency_id]).rowcount > 0
        new = stamp(ids)
        if row is not None and row[0] == new:
            return False
        units = db.execute("SELECT COUNT(*) FROM units WHERE act_id IN (SELECT value FROM json_each(?))",
                           [json.dumps(ids)]).fetchone()[0]
        if units > MAX_UNITS:  # recorded as current with no index (0 units): searched in units_fts
            db.execute(f"DROP TABLE IF EXISTS {name}")
            units = 0
        else:
            # content='': only the index is stored (the lemmas are in units_fts already); the same
            # tokenizer as units_fts, so that both find the same words
            db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5("
                       "lemmas, content='', tokenize = 'unicode61 remove_diacritics 0')")
            db.execute(f"INSERT INTO {name}({name}) VALUES ('delete-all')")
            units = 0
            for start in range(0, len(ids), ACTS_IN_MATCH_MAX):  # the act tokens find the acts' rows at once
                acts = " OR ".join(_act_token(a) for a in ids[start:start + ACTS_IN_MATCH_MAX])
                units += db.execute(f"INSERT INTO {name}(rowid, lemmas) SELECT rowid, lemmas FROM units_fts"
                                    " WHERE units_fts MATCH ?", [f"act : ({acts})"]).rowcount
        db.execute("INSERT OR REPLACE INTO agency_search_indexes(agency_id, stamp, units, built_at)"
                   " VALUES (?, ?, ?, ?)", [agency_id, new, units, now_utc()])
    return True


def refresh_stale(db: sqlite_utils.Database, *, limit: int | None = None) -> list[int]:
    """Refresh up to `limit` stale agency indexes (all by default); return the agencies changed.

    An agency whose rebuild fails is logged and passed over, so that it cannot hold up the others
    (its searches keep using units_fts meanwhile).
    """
    changed: list[int] = []
    for agency in stale(db):
        if limit is not None and len(changed) >= limit:
            break
        try:
            if refresh(db, agency):
                changed.append(agency)
        except sqlite3.Error:
            log.exception("agency %s: its search index cannot be rebuilt", agency)
    return changed


def fingerprint(db: sqlite_utils.Database) -> tuple:
    """A cheap value that changes whenever any agency's acts may have changed: the job thread
    looks for stale indexes (`stale`, a pass over every assignment) only when it moves."""
    return tuple(db.execute("SELECT (SELECT TOTAL(progress_version) FROM campaigns),"
                            " (SELECT COUNT(*) FROM campaigns), (SELECT COUNT(*) FROM assignments),"
                            " (SELECT COUNT(*) FROM agency_search_indexes)").fetchone())
