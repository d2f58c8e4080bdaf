"""The audit trail: who changed what, when, and what it was before and after.

Every write of the review campaign (verdicts, assignments, campaign settings,
finishing an act) calls `record` inside its own transaction, so a change and its
trail entry are stored together or not at all. The table refuses UPDATE and
DELETE (triggers in tracker.db), so the trail is append-only evidence.
"""
from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from tracker.dates import now_utc


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(db: sqlite_utils.Database, *, user: dict[str, Any] | None, action: str, entity: str,
           entity_id: Any, before: Any, after: Any, campaign_id: int | None = None,
           act_id: int | None = None, uid: str | None = None) -> int:
    """Append one entry; return its id. `user` None means the system (CLI, worker).

    `before`/`after` are any JSON-able values (dates become ISO strings); the user's
    e-mail is copied so the entry still reads right if the user is renamed.
    """
    cursor = db.execute(
        "INSERT INTO audit_log(at, user_id, user_email, action, entity, entity_id, campaign_id, act_id,"
        " uid, before, after) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [now_utc(), user["id"] if user else None, user.get("email") if user else None, action, entity,
         None if entity_id is None else str(entity_id), campaign_id, act_id, uid,
         _dumps(before), _dumps(after)])
    return int(cursor.lastrowid)


def history(db: sqlite_utils.Database, *, act_id: int | None = None, uid: str | None = None,
            campaign_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Entries matching every filter given, newest first, before/after decoded."""
    where, params = [], []
    for column, value in (("act_id", act_id), ("uid", uid), ("campaign_id", campaign_id)):
        if value is not None:
            where.append(f"a.{column} = ?")
            params.append(value)
    sql = ("SELECT a.*, u.name AS user_name FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.id DESC LIMIT ?")
    params.append(-1 if limit is None else limit)
    rows = []
    for row in db.query(sql, params):
        for col in ("before", "after"):
            row[col] = None if row[col] is None else json.loads(row[col])
        rows.append(row)
    return rows
