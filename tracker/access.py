"""Who may see and do what: the one place for role checks.

The web calls these on every route and tracker's writers call them again before
changing anything, so a forgotten check in a view cannot let an agency touch
another agency's act. `user` is the dict from tracker.users.get_user (None = not
logged in); an inactive user may do nothing.

- admin, lawyer: read every act, review any assigned act, manage campaigns;
- viewer: read every act, review nothing;
- agency: read and review only the acts assigned to its agency (in any campaign).
"""
from __future__ import annotations

from typing import Any

import sqlite_utils

User = dict[str, Any] | None

READ_ALL = ("admin", "lawyer", "viewer")
MANAGE = ("admin", "lawyer")


def _role(user: User) -> str | None:
    if not user or not user.get("active", True):
        return None
    return user.get("role")


def can_manage(user: User) -> bool:
    """May create and change campaigns, assign acts, import files, see every agency's progress."""
    return _role(user) in MANAGE


def can_read_act(db: sqlite_utils.Database, user: User, act_id: int) -> bool:
    role = _role(user)
    if role in READ_ALL:
        return True
    if role == "agency":
        return db.execute("SELECT 1 FROM assignments WHERE act_id = ? AND agency_id = ? LIMIT 1",
                          [act_id, user.get("agency_id")]).fetchone() is not None
    return False


def can_review(db: sqlite_utils.Database, user: User, cid: int, act_id: int) -> bool:
    """May give verdicts and comments on this act in this campaign."""
    role = _role(user)
    if role in MANAGE:
        return True
    if role == "agency":
        return db.execute("SELECT 1 FROM assignments WHERE campaign_id = ? AND act_id = ? AND agency_id = ?",
                          [cid, act_id, user.get("agency_id")]).fetchone() is not None
    return False


def visible_act_ids(db: sqlite_utils.Database, user: User) -> set[int] | None:
    """The acts the user may read: None means all of them; an empty set means none."""
    role = _role(user)
    if role in READ_ALL:
        return None
    if role == "agency":
        return agency_act_ids(db, user.get("agency_id"))
    return set()


def agency_act_ids(db: sqlite_utils.Database, agency_id: int | None) -> set[int]:
    """The acts assigned to the agency in any campaign: what its staff may read."""
    return {r[0] for r in db.execute("SELECT DISTINCT act_id FROM assignments WHERE agency_id = ?",
                                     [agency_id]).fetchall()}


def visible_campaign_ids(db: sqlite_utils.Database, user: User) -> set[int] | None:
    """The campaigns the user may see: None = all; an agency sees those it has acts in."""
    role = _role(user)
    if role in READ_ALL:
        return None
    if role == "agency":
        return {r[0] for r in db.execute("SELECT DISTINCT campaign_id FROM assignments WHERE agency_id = ?",
                                         [user.get("agency_id")]).fetchall()}
    return set()


def can_read_campaign(db: sqlite_utils.Database, user: User, cid: int) -> bool:
    visible = visible_campaign_ids(db, user)
    return visible is None or cid in visible


def require(allowed: bool, message: str = "not allowed") -> None:
    """Raise PermissionError unless `allowed`: tracker's writers call it before any change."""
    if not allowed:
        raise PermissionError(message)
