"""Verdicts on clauses and the comments around them, each change with its audit entry.

A verdict says what should happen to a clause: keep it, amend it (with the new
wording), repeal it, mark it duplicative (it repeats another act: remove it), or
not applicable (it has nothing to do with the campaign's measures). A verdict
that changes the law needs a reason; an amendment needs its new wording.
"""
from __future__ import annotations

from typing import Any

import sqlite_utils

from tracker.access import can_review, require
from tracker.audit import record
from tracker.campaigns import set_status
from tracker.dates import now_utc
from tracker.db import write_transaction

VERDICTS = ("keep", "amend", "repeal", "duplicative", "not_applicable")
NEEDS_REASON = ("amend", "repeal", "duplicative")
# How exports and documents name each verdict (the lawyers' Russian).
VERDICT_LABELS = {
    "keep": "Оставить без изменений",
    "amend": "Изменить",
    "repeal": "Исключить",
    "duplicative": "Дублирует (исключить)",
    "not_applicable": "Не относится к мерам",
}
_FIELDS = ("verdict", "reason", "new_wording", "comment")


def _check_target(db: sqlite_utils.Database, cid: int, act_id: int, uid: str,
                  user: dict[str, Any] | None) -> str:
    """The act's status in the campaign, after checking the clause exists and the user may review."""
    row = db.execute("SELECT status FROM assignments WHERE campaign_id = ? AND act_id = ?",
                     [cid, act_id]).fetchone()
    if row is None:
        raise ValueError(f"act {act_id} is not assigned in campaign {cid}")
    if db.execute("SELECT 1 FROM units WHERE act_id = ? AND uid = ?", [act_id, uid]).fetchone() is None:
        raise ValueError(f"act {act_id} has no clause {uid!r}")
    if user is not None:
        require(can_review(db, user, cid, act_id), "you may not review this act")
    return row[0]


def _verdict_rows(db: sqlite_utils.Database, cid: int, act_id: int, uid: str | None = None) -> list[dict]:
    sql = ("SELECT v.*, us.email AS reviewer, us.name AS reviewer_name FROM verdicts v"
           " LEFT JOIN users us ON us.id = v.user_id WHERE v.campaign_id = ? AND v.act_id = ?")
    params: list[Any] = [cid, act_id]
    if uid is not None:
        sql += " AND v.uid = ?"
        params.append(uid)
    return list(db.query(sql, params))


def set_verdict(db: sqlite_utils.Database, cid: int, act_id: int, uid: str, verdict: str, *,
                user: dict[str, Any] | None, reason: str = "", new_wording: str = "",
                comment: str = "") -> dict[str, Any]:
    """Give or change the verdict on one clause; return the stored verdict.

    ValueError (message fit to show) for an unknown verdict, a missing reason
    (amend/repeal/duplicative) or new wording (amend), an act not assigned in the
    campaign or a unit not in the act; PermissionError if `user` may not review it.
    New wording is kept only for `amend`. The audit entry (before/after) and the act's
    status (not_started -> in_progress; reviewed -> in_progress, to be finished again)
    are written in the same transaction. Saving the same verdict again changes nothing.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)}")
    reason, comment = (reason or "").strip(), (comment or "").strip()
    new_wording = (new_wording or "").strip() if verdict == "amend" else ""
    if verdict in NEEDS_REASON and not reason:
        raise ValueError(f"a reason is required for the verdict '{verdict}'")
    if verdict == "amend" and not new_wording:
        raise ValueError("the new wording is required for the verdict 'amend'")
    after = {"verdict": verdict, "reason": reason, "new_wording": new_wording, "comment": comment}
    with write_transaction(db):
        status = _check_target(db, cid, act_id, uid, user)
        old = _verdict_rows(db, cid, act_id, uid)
        before = {k: old[0][k] for k in _FIELDS} if old else None
        if before == after:
            return old[0]
        db.execute(
            "INSERT INTO verdicts(campaign_id, act_id, uid, verdict, reason, new_wording, comment, user_id,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(campaign_id, act_id, uid) DO UPDATE SET"
            " verdict = excluded.verdict, reason = excluded.reason, new_wording = excluded.new_wording,"
            " comment = excluded.comment, user_id = excluded.user_id, updated_at = excluded.updated_at",
            [cid, act_id, uid, verdict, reason, new_wording, comment, user["id"] if user else None, now_utc()])
        record(db, user=user, action="verdict", entity="verdict", entity_id=f"{cid}/{act_id}/{uid}",
               before=before, after=after, campaign_id=cid, act_id=act_id, uid=uid)
        if status != "in_progress":
            set_status(db, cid, act_id, "in_progress", user=user)
        return _verdict_rows(db, cid, act_id, uid)[0]


def get_verdicts(db: sqlite_utils.Database, cid: int, act_id: int) -> dict[str, dict[str, Any]]:
    """The act's verdicts in the campaign by unit id, with reviewer e-mail/name and time (UTC)."""
    return {r["uid"]: r for r in _verdict_rows(db, cid, act_id)}


def add_comment(db: sqlite_utils.Database, cid: int, act_id: int, uid: str, text: str, *,
                user: dict[str, Any] | None) -> int:
    """Add a comment to a clause's discussion (audited); return its id."""
    text = (text or "").strip()
    if not text:
        raise ValueError("the comment is empty")
    with write_transaction(db):
        _check_target(db, cid, act_id, uid, user)
        cursor = db.execute("INSERT INTO comments(campaign_id, act_id, uid, user_id, text, created_at)"
                            " VALUES (?,?,?,?,?,?)", [cid, act_id, uid, user["id"] if user else None, text,
                                                      now_utc()])
        comment_id = int(cursor.lastrowid)
        record(db, user=user, action="comment", entity="comment", entity_id=comment_id, before=None,
               after={"text": text}, campaign_id=cid, act_id=act_id, uid=uid)
    return comment_id


def get_comments(db: sqlite_utils.Database, cid: int, act_id: int, uid: str | None = None) -> list[dict[str, Any]]:
    """Comments on the act's clauses (or one clause), oldest first, with author e-mail and name."""
    sql = ("SELECT c.*, us.email AS author, us.name AS author_name FROM comments c"
           " LEFT JOIN users us ON us.id = c.user_id WHERE c.campaign_id = ? AND c.act_id = ?")
    params: list[Any] = [cid, act_id]
    if uid is not None:
        sql += " AND c.uid = ?"
        params.append(uid)
    return list(db.query(sql + " ORDER BY c.id", params))
