"""Acts and their units in the database, and search over them.

An act is stored once per imported file; a later file of "the same act" (same
`act_key`) becomes a new row whose `version_of` points at the previous one, so
reviews made against the old text keep pointing at the text they were made on.
All SQL about acts lives here (DESIGN.md: views never see SQL).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from nlp.morph import fold, parse_word, words
from parsers.model import Act, Unit
from tracker.db import lemma_text, write_transaction

_JSON_COLUMNS = ("warnings", "burden", "cells", "facts")


def _norm(value: str | None) -> str:
    """Folded, punctuation-insensitive form of a metadata value for comparing acts."""
    return " ".join(re.findall(r"\w+", fold(value or "")))


def act_key(act: Act) -> str:
    """What identifies "the same act" across files and editions.

    The act's own identity (type, number, date, issuer, in one language) when the
    parser found a number and a date; otherwise the file name without extension,
    folded, so `Pravila.docx` and `pravila.pdf` are versions of one another.
    """
    if act.number and act.date:
        parts = [act.language or "", _norm(act.act_type), _norm(act.number), act.date, _norm(act.issuer)]
        return "act:" + "|".join(parts)
    stem = Path(act.file).stem
    return "file:" + "_".join(re.findall(r"\w+", fold(stem)))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for col in _JSON_COLUMNS:
        if isinstance(row.get(col), str):
            row[col] = json.loads(row[col])
    return row


def latest_version(db: sqlite_utils.Database, key: str) -> int | None:
    """Id of the newest act with this key, or None."""
    row = db.execute("SELECT MAX(id) FROM acts WHERE act_key = ?", [key]).fetchone()
    return row[0] if row else None


def _stored_key(db: sqlite_utils.Database, key: str) -> str:
    """The key under which this act is already stored, when one file names its issuer and the
    other does not (a header the parser reads in one format and not in another, or an act stored
    before the parser learnt to read it): type, number, date and language then decide alone."""
    if not key.startswith("act:") or latest_version(db, key) is not None:
        return key
    prefix = key.rsplit("|", 1)[0] + "|"  # the key without its issuer
    stored = [r[0] for r in db.execute("SELECT DISTINCT act_key FROM acts WHERE act_key >= ? AND act_key < ?",
                                       [prefix, prefix + "\uffff"]).fetchall()]
    if key != prefix:  # this file names the issuer: only an act stored without one, or with this one
        if prefix not in stored:
            return key
        named = {_norm(r[0]) for r in db.execute(
            "SELECT DISTINCT issuer FROM acts WHERE act_key = ? AND issuer IS NOT NULL", [prefix])}
        return prefix if named <= {key[len(prefix):]} else key
    return stored[0] if len(stored) == 1 else key  # this file names none: a single candidate only


def act_for_file(db: sqlite_utils.Database, sha256: str) -> int | None:
    """Id of the act parsed from these exact bytes, or None if they were never imported."""
    row = db.execute("SELECT MAX(id) FROM acts WHERE file_sha256 = ?", [sha256]).fetchone()
    return row[0] if row else None


def save_act(db: sqlite_utils.Database, act: Act, sha256: str, *,
             facts: dict[str, dict[str, Any]] | None = None,
             burden: dict[str, Any] | None = None) -> int:
    """Store an act and all its units in one transaction; return the new act's id.

    The file `sha256` must already be in `files` (tracker.files.record_file), in the
    same transaction or before. If an act with the same `act_key` exists, the new
    row becomes its next version. `facts` maps unit ids to extracted facts.
    """
    with write_transaction(db):
        key = _stored_key(db, act_key(act))
        cursor = db.execute(
            "INSERT INTO acts(file_sha256, version_of, act_key, title, act_type, number, date, issuer,"
            " language, format, warnings, burden, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [sha256, latest_version(db, key), key, act.title, act.act_type, act.number, act.date,
             act.issuer, act.language, act.format, _dumps(list(act.warnings)), _dumps(burden), _now()],
        )
        act_id = int(cursor.lastrowid)
        _insert_units(db, act_id, act.units, facts or {})
        _index_units(db, act_id, act.units)
        _count_clauses(db, act_id)
    return act_id


def _count_clauses(db: sqlite_utils.Database, act_id: int) -> None:
    """Store how many clauses the act has (progress figures read it instead of counting)."""
    from tracker.campaigns import is_clause_sql  # campaigns owns the rule; it does not import acts

    db.execute(f"UPDATE acts SET clause_count = (SELECT COUNT(*) FROM units u WHERE u.act_id = ?"
               f" AND {is_clause_sql('u')}) WHERE id = ?", [act_id, act_id])


def _insert_units(db: sqlite_utils.Database, act_id: int, units: Iterable[Unit],
                  facts: dict[str, dict[str, Any]]) -> None:
    db.conn.executemany(
        "INSERT INTO units(act_id, seq, uid, parent_uid, kind, label, text, page, cells, role, facts)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(act_id, seq, u.id, u.parent, u.kind, u.label, u.text, u.page, _dumps(u.cells), u.role,
          _dumps(facts.get(u.id))) for seq, u in enumerate(units)],
    )


_ACT_TOKEN = re.compile(r'"a\d+"')  # a query term that could match an `act` column token


def _act_token(act_id: int) -> str:
    """The token in units_fts' `act` column that names the row's act (migration m040 writes the same)."""
    return f"a{int(act_id)}"


def _index_units(db: sqlite_utils.Database, act_id: int, units: Iterable[Unit]) -> None:
    """Add the units' lemmatised text to the full-text index (same transaction as the units)."""
    token = _act_token(act_id)
    db.conn.executemany(
        "INSERT INTO units_fts(act_id, uid, lemmas, act) VALUES (?, ?, ?, ?)",
        [(act_id, u.id, lemma_text(" ".join(filter(None, [u.label, u.text]))), token) for u in units],
    )


def set_facts(db: sqlite_utils.Database, act_id: int, facts: dict[str, dict[str, Any]],
              burden: dict[str, Any] | None = None) -> None:
    """Store extraction results for an already imported act (one transaction)."""
    with write_transaction(db):
        db.conn.executemany("UPDATE units SET facts = ? WHERE act_id = ? AND uid = ?",
                            [(_dumps(f), act_id, uid) for uid, f in facts.items()])
        if burden is not None:
            db.execute("UPDATE acts SET burden = ? WHERE id = ?", [_dumps(burden), act_id])


_ACT_COLUMNS = """a.*, f.name AS file_name, f.size AS file_size,
    (SELECT COUNT(*) FROM units u WHERE u.act_id = a.id) AS unit_count,
    NOT EXISTS (SELECT 1 FROM acts n WHERE n.version_of = a.id) AS is_latest"""


def list_acts(db: sqlite_utils.Database, *, latest_only: bool = False,
              limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Acts in import order, with file name, unit count and whether each is the latest version."""
    sql = f"SELECT {_ACT_COLUMNS} FROM acts a JOIN files f ON f.sha256 = a.file_sha256"
    if latest_only:
        sql += " WHERE NOT EXISTS (SELECT 1 FROM acts n WHERE n.version_of = a.id)"
    sql += " ORDER BY a.id LIMIT ? OFFSET ?"
    rows = db.query(sql, [-1 if limit is None else limit, offset])
    return [_decode(_bools(r)) for r in rows]


def _bools(row: dict[str, Any]) -> dict[str, Any]:
    row["is_latest"] = bool(row["is_latest"])
    return row


def get_act(db: sqlite_utils.Database, act_id: int) -> dict[str, Any] | None:
    """One act's row (JSON columns decoded), or None if there is no such act."""
    rows = list(db.query(
        f"SELECT {_ACT_COLUMNS} FROM acts a JOIN files f ON f.sha256 = a.file_sha256 WHERE a.id = ?",
        [act_id]))
    return _decode(_bools(rows[0])) if rows else None


def get_units(db: sqlite_utils.Database, act_id: int) -> list[dict[str, Any]]:
    """The act's units in document order (empty for an unknown act)."""
    return [_decode(r) for r in db.query("SELECT * FROM units WHERE act_id = ? ORDER BY seq", [act_id])]


def load_act(db: sqlite_utils.Database, act_id: int) -> Act | None:
    """Rebuild the document model of a stored act (as `parsers` produced it)."""
    row = get_act(db, act_id)
    if row is None:
        return None
    units = [Unit(id=u["uid"], parent=u["parent_uid"], kind=u["kind"], label=u["label"], text=u["text"],
                  page=u["page"], cells=u["cells"], role=u["role"]) for u in get_units(db, act_id)]
    return Act(file=row["file_name"], format=row["format"], language=row["language"], title=row["title"],
               act_type=row["act_type"], number=row["number"], date=row["date"], issuer=row["issuer"],
               units=units, warnings=row["warnings"])


def act_versions(db: sqlite_utils.Database, act_id: int) -> list[dict[str, Any]]:
    """Every version of the act `act_id` belongs to, oldest first (empty if unknown)."""
    rows = db.query(
        f"SELECT {_ACT_COLUMNS} FROM acts a JOIN files f ON f.sha256 = a.file_sha256"
        " WHERE a.act_key = (SELECT act_key FROM acts WHERE id = ?) ORDER BY a.id", [act_id])
    return [_decode(_bools(r)) for r in rows]


# Words a search does not require: the most frequent prepositions and conjunctions ("в", "и",
# "о", "при", "или") occur in nearly every clause, so requiring them finds almost the same
# clauses, while ranking them costs FTS5 a walk over their whole doclist (200,000 rows of
# 500,000 for "в": the main cost of such a search). PostgreSQL's Russian text search drops
# them the same way. Only these: "без", "кроме", "свыше", "если", "либо", "до", "не" change
# what is asked ("без доверенности" is not "по доверенности") and stay required.
_NOT_REQUIRED = frozenset({"в", "во", "на", "по", "с", "со", "о", "об", "обо", "к", "ко", "для", "при",
                           "из", "от", "у", "и", "или", "а", "но", "что", "как"})


def fts_query(text: str) -> str | None:
    """The FTS5 MATCH expression for a user's words: every lemma must occur (AND).

    The most frequent prepositions and conjunctions are left out unless the query has nothing else.
    Lemmas are quoted as FTS5 strings, so user input can never be read as FTS5
    syntax (NEAR, OR, column filters, a stray quote).
    """
    lemmas = [parse_word(w)[0] for w in words(text)]
    terms = dict.fromkeys(lem for lem in lemmas if lem not in _NOT_REQUIRED)  # unique, in order
    if not terms:
        terms = dict.fromkeys(lemmas)
    if not terms:
        return None
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


# Up to this many acts, a restricted search names them in the MATCH expression (FTS5 walks
# only their rows: ~5-15 ms for 50 acts on 500,000 units); beyond it each OR'd act costs
# more than reading the act of every match, so the rows are filtered by act_id instead.
ACTS_IN_MATCH_MAX = 300


def search_units(db: sqlite_utils.Database, text: str, *, act_id: int | None = None,
                 act_ids: Iterable[int] | None = None, limit: int = 50,
                 within: str | None = None) -> list[dict[str, Any]]:
    """Units whose text contains every word of `text` in any grammatical form, best first.

    `act_id` or `act_ids` (both: their intersection) restrict the search to those acts inside
    the index, so the best `limit` matches among them are found however many other acts
    match better; an empty `act_ids` finds nothing. Ranked by FTS5's bm25 on the lemmas;
    equal scores in act and document order. Only the `limit` best rows are joined to units.

    `within` names an agency's own index (tracker.search_index) that holds exactly the acts
    of `act_ids`: searched instead of units_fts, with no act filter; the caller has checked,
    in the same read transaction, that it is current.
    """
    match = fts_query(text)
    if match is None:
        return []
    ids: set[int] | None = None if act_ids is None else {int(a) for a in act_ids}
    if act_id is not None:
        ids = {int(act_id)} if ids is None else ids & {int(act_id)}
    if ids is not None and not ids:
        return []
    if within is not None:
        if not _INDEX_NAME.fullmatch(within) or act_id is not None:
            raise ValueError(f"not an agency index, or restricted to one act: {within!r}")
        hits = _search(db, f"SELECT rowid AS fts_rowid, bm25({within}) AS score FROM {within}"
                           f" WHERE {within} MATCH ? ORDER BY score, rowid LIMIT ?", [match, limit])
        return [h for h in hits if h["act_id"] in ids]  # never another act, whatever the caller checked
    # The `act` column holds only tokens "a<digits>" (_act_token): a query without such a word can
    # leave out the `lemmas :` filter and find the same rows, ranked the same, ~10% faster (FTS5
    # then need not look at which column each occurrence is in).
    expr = f"({match})" if not _ACT_TOKEN.search(match) else f"lemmas : ({match})"
    where, params = "units_fts MATCH ?", []
    if ids is not None and len(ids) <= ACTS_IN_MATCH_MAX:
        expr += " AND act : (" + " OR ".join(_act_token(a) for a in sorted(ids)) + ")"
    elif ids is not None:
        where += " AND act_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(ids)))
    # The inner query ranks rowids only: reading act_id/uid of every match (all of them are
    # ranked before LIMIT) would cost a row lookup each. Weight 0 for all but `lemmas`.
    return _search(db, "SELECT rowid AS fts_rowid, bm25(units_fts, 0, 0, 1, 0) AS score"
                       f" FROM units_fts WHERE {where} ORDER BY score, rowid LIMIT ?", [expr, *params, limit])


_INDEX_NAME = re.compile(r"units_fts_agency[0-9]+")  # tracker.search_index.table_name


def _search(db: sqlite_utils.Database, hits: str, params: list[Any]) -> list[dict[str, Any]]:
    """The units of the best hits (`hits` yields units_fts rowids and scores, best first)."""
    sql = (f"WITH hits AS MATERIALIZED ({hits})"
           " SELECT u.act_id, u.uid, u.kind, u.label, u.text, u.page, a.title AS act_title, h.score"
           " FROM hits h JOIN units_fts f ON f.rowid = h.fts_rowid"
           " JOIN units u ON u.act_id = f.act_id AND u.uid = f.uid JOIN acts a ON a.id = u.act_id"
           " ORDER BY h.score, u.act_id, u.seq")
    return list(db.query(sql, params))
