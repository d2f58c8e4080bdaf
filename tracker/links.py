"""Links of clauses to proposed measures, and the lawyer's decision on each.

The linker proposes; a lawyer confirms, rejects, or adds a link it missed. Re-running the
linker (better rules, a new list of measures) must never undo that work, so:

- a proposal for a link nobody has decided on is inserted, or its score and reason refreshed;
- a proposal the new run no longer makes is withdrawn, but only while it is still "proposed";
- a link with status confirmed, rejected or added is left exactly as the lawyer left it.

Every decision goes to the audit trail (tracker.audit) in the same transaction.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from tracker.audit import record
from tracker.dates import now_utc
from tracker.db import write_transaction

STATUSES = ("proposed", "confirmed", "rejected", "added")
DECIDED = frozenset({"confirmed", "rejected", "added"})


def store_proposals(db: sqlite_utils.Database, act_id: int,
                    proposals: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Store one linker run over a whole act: uid -> [{"id", "score", "why"}].

    Units left out count as "no proposal". Returns how many links were new, refreshed,
    withdrawn (stale proposals) and kept because a lawyer had decided on them.
    """
    now = now_utc()
    counts = {"new": 0, "refreshed": 0, "withdrawn": 0, "kept_decided": 0}
    with write_transaction(db):
        existing = {(r["uid"], r["measure_id"]): r["status"] for r in db.query(
            "SELECT uid, measure_id, status FROM measure_links WHERE act_id = ?", [act_id])}
        wanted: set[tuple[str, str]] = set()
        for uid, links in proposals.items():
            for link in links:
                key = (str(uid), str(link["id"]))
                if key in wanted:
                    continue
                wanted.add(key)
                status = existing.get(key)
                if status is None:
                    db.execute(
                        "INSERT INTO measure_links(act_id, uid, measure_id, status, score, why, created_at,"
                        " updated_at) VALUES (?,?,?,'proposed',?,?,?,?)",
                        [act_id, key[0], key[1], float(link.get("score") or 0.0), str(link.get("why") or ""),
                         now, now])
                    counts["new"] += 1
                elif status == "proposed":
                    db.execute(
                        "UPDATE measure_links SET score = ?, why = ?, updated_at = ?"
                        " WHERE act_id = ? AND uid = ? AND measure_id = ? AND status = 'proposed'",
                        [float(link.get("score") or 0.0), str(link.get("why") or ""), now, act_id, *key])
                    counts["refreshed"] += 1
                else:
                    counts["kept_decided"] += 1
        stale = [k for k, s in existing.items() if s == "proposed" and k not in wanted]
        db.conn.executemany(
            "DELETE FROM measure_links WHERE act_id = ? AND uid = ? AND measure_id = ? AND status = 'proposed'",
            [(act_id, uid, mid) for uid, mid in stale])
        counts["withdrawn"] = len(stale)
        counts["kept_decided"] += sum(1 for k, s in existing.items() if s in DECIDED and k not in wanted)
    return counts


def _row(db: sqlite_utils.Database, act_id: int, uid: str, measure_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM measure_links WHERE act_id = ? AND uid = ? AND measure_id = ?",
                         [act_id, uid, measure_id]))
    return rows[0] if rows else None


def _snapshot(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {"status": row["status"], "score": row["score"], "why": row["why"]}


def decide(db: sqlite_utils.Database, act_id: int, uid: str, measure_id: str, status: str, *,
           user: Mapping[str, Any] | None = None, why: str | None = None) -> dict[str, Any]:
    """Record a lawyer's decision on a link and return the stored row.

    "confirmed"/"rejected" need an existing link; "added" creates a link the linker did not
    propose (adding one it did propose confirms it); "proposed" undoes a decision. ValueError
    for an unknown status, KeyError for a missing link or unit.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    now = now_utc()
    user_id = user.get("id") if user else None
    with write_transaction(db):
        if not list(db.query("SELECT 1 FROM units WHERE act_id = ? AND uid = ?", [act_id, uid])):
            raise KeyError(f"no unit {uid} in act {act_id}")
        before = _row(db, act_id, uid, measure_id)
        if before is None:
            if status != "added":
                raise KeyError(f"no link of {uid} to {measure_id} to mark {status}")
            db.execute(
                "INSERT INTO measure_links(act_id, uid, measure_id, status, score, why, decided_by, decided_at,"
                " created_at, updated_at) VALUES (?,?,?,'added',NULL,?,?,?,?,?)",
                [act_id, uid, measure_id, why or "", user_id, now, now, now])
        else:
            new_status = "confirmed" if status == "added" and before["status"] == "proposed" else status
            db.execute(
                "UPDATE measure_links SET status = ?, why = COALESCE(?, why), decided_by = ?, decided_at = ?,"
                " updated_at = ? WHERE act_id = ? AND uid = ? AND measure_id = ?",
                [new_status, why, None if new_status == "proposed" else user_id,
                 None if new_status == "proposed" else now, now, act_id, uid, measure_id])
        after = _row(db, act_id, uid, measure_id)
        record(db, user=dict(user) if user else None, action=f"link_{after['status']}", entity="measure_link",
               entity_id=f"{uid}:{measure_id}", before=_snapshot(before), after=_snapshot(after),
               act_id=act_id, uid=uid)
    return after


def links_for_act(db: sqlite_utils.Database, act_id: int, *,
                  statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The act's links in document order of their units, best score first within a unit."""
    sql = ("SELECT l.* FROM measure_links l JOIN units u ON u.act_id = l.act_id AND u.uid = l.uid"
           " WHERE l.act_id = ?")
    params: list[Any] = [act_id]
    if statuses:
        sql += f" AND l.status IN ({', '.join('?' for _ in statuses)})"
        params.extend(statuses)
    sql += " ORDER BY u.seq, l.score IS NULL, l.score DESC, l.measure_id"
    return list(db.query(sql, params))


def link_act(db: sqlite_utils.Database, act_id: int, measures: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Run the linker over a stored act (with its stored facts) and store the proposals."""
    from nlp.linker import link_units  # numpy/scipy and navec load only when linking
    from tracker.acts import get_units

    units = []
    for u in get_units(db, act_id):
        facts = u.get("facts") if isinstance(u.get("facts"), dict) else {}
        units.append({**facts, "id": u["uid"], "parent": u["parent_uid"], "kind": u["kind"], "text": u["text"]})
    results = link_units(units, measures)
    return store_proposals(db, act_id, {u["id"]: r for u, r in zip(units, results, strict=True)})
