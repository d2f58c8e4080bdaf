"""Review campaigns: an instruction, a deadline, and which agency reviews which act.

A campaign starts from an instruction (a government order to review acts against
a set of measures) dated `instruction_date`; agencies have one calendar month by
default. Each act is assigned to one agency per campaign; the agency gives a
verdict on every clause (tracker.verdicts) and then finishes the act.

Act status in a campaign: `not_started` -> `in_progress` (first verdict) ->
`reviewed` (finish_act, only when every clause has a verdict). A verdict changed
after finishing moves the act back to `in_progress`: the agency's "done" was about
other content, so it must be confirmed again.

Which units are clauses (need a verdict): numbered units (articles, paragraphs,
sub-paragraphs, items, labelled table rows) that are not amendment notes. An act
with no numbered unit at all is reviewed paragraph by paragraph: its non-empty
unnumbered text units are the clauses.
"""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import holidays
import sqlite_utils
from dateutil.relativedelta import relativedelta

from tracker.access import can_manage, can_read_act, can_read_campaign, can_review, require
from tracker.audit import record
from tracker.dates import fmt_date, now_utc, parse_date
from tracker.db import write_transaction

COUNTRIES = ("KZ", "KG")
STATUSES = ("not_started", "in_progress", "reviewed")
CLAUSE_KINDS = ("article", "paragraph", "subparagraph", "item", "table_row")


def _numbered(u: str) -> str:
    kinds = ", ".join(f"'{k}'" for k in CLAUSE_KINDS)
    return f"({u}.kind IN ({kinds}) AND {u}.label != '' AND COALESCE({u}.role, '') = '')"


def is_clause_sql(u: str = "u") -> str:
    """SQL condition true when the unit aliased `u` is a clause (see the module docstring).

    Stored counts derive from it (acts.clause_count, assignments.clauses_reviewed and the
    triggers of tracker.db's m041): changing the rule needs a migration that recounts them.
    """
    return (f"({_numbered(u)} OR ({u}.kind = 'text' AND {u}.text != '' AND COALESCE({u}.role, '') = ''"
            f" AND NOT EXISTS (SELECT 1 FROM units x WHERE x.act_id = {u}.act_id AND {_numbered('x')})))")


def clause_units(db: sqlite_utils.Database, act_id: int) -> list[dict[str, Any]]:
    """The act's units that need a verdict, in document order."""
    return list(db.query(f"SELECT u.* FROM units u WHERE u.act_id = ? AND {is_clause_sql('u')} ORDER BY u.seq",
                         [act_id]))


# --- campaigns ------------------------------------------------------------------------------


def default_deadline(instruction_date: date) -> date:
    """One calendar month after the instruction (31.01 -> 28.02 or 29.02 in a leap year)."""
    return instruction_date + relativedelta(months=1)


def _measure_list(measure_ids: Iterable[str]) -> list[str]:
    if isinstance(measure_ids, str):
        measure_ids = measure_ids.replace(";", ",").replace(" ", ",").split(",")
    return list(dict.fromkeys(m.strip() for m in measure_ids if m and m.strip()))


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["instruction_date"] = date.fromisoformat(row["instruction_date"])
    row["deadline"] = date.fromisoformat(row["deadline"])
    row["measure_ids"] = json.loads(row["measure_ids"])
    return row


def _snapshot(c: dict[str, Any]) -> dict[str, Any]:
    return {"name": c["name"], "country": c["country"], "instruction_date": c["instruction_date"].isoformat(),
            "deadline": c["deadline"].isoformat(), "measure_ids": c["measure_ids"]}


def _user_dict(db: sqlite_utils.Database, user: dict[str, Any] | int | None) -> dict[str, Any] | None:
    if user is None or isinstance(user, dict):
        return user
    from tracker.users import get_user

    return get_user(db, user)


def create_campaign(db: sqlite_utils.Database, name: str, instruction_date: date | str, *,
                    country: str = "KZ", deadline: date | str | None = None,
                    measure_ids: Iterable[str] = (), created_by: dict[str, Any] | int | None = None) -> int:
    """Start a campaign; the deadline defaults to one calendar month after the instruction.

    `created_by` is a user id or user dict (None: the CLI). ValueError for an empty name,
    an unknown country or a deadline before the instruction date.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("the campaign needs a name")
    country = (country or "").upper()
    if country not in COUNTRIES:
        raise ValueError(f"unknown country {country!r}; one of: {', '.join(COUNTRIES)}")
    start = parse_date(instruction_date)
    end = parse_date(deadline) if deadline else default_deadline(start)
    if end < start:
        raise ValueError(f"the deadline {fmt_date(end)} is before the instruction date {fmt_date(start)}")
    user = _user_dict(db, created_by)
    if user is not None:
        require(can_manage(user), "only an administrator or a lawyer may create campaigns")
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO campaigns(name, country, instruction_date, deadline, measure_ids, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            [name, country, start.isoformat(), end.isoformat(),
             json.dumps(_measure_list(measure_ids), ensure_ascii=False), user["id"] if user else None, now_utc()])
        cid = int(cursor.lastrowid)
        record(db, user=user, action="create", entity="campaign", entity_id=cid, before=None,
               after=_snapshot(get_campaign(db, cid)), campaign_id=cid)
    return cid


def get_campaign(db: sqlite_utils.Database, cid: int) -> dict[str, Any] | None:
    """The campaign (dates as datetime.date, measure_ids as a list), or None."""
    rows = list(db.query("SELECT * FROM campaigns WHERE id = ?", [cid]))
    return _decode(rows[0]) if rows else None


def list_campaigns(db: sqlite_utils.Database, *, user: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Campaigns, newest first, with their number of acts; only those `user` may see if given."""
    rows = [_decode(r) for r in db.query(
        "SELECT c.*, (SELECT COUNT(*) FROM assignments s WHERE s.campaign_id = c.id) AS acts"
        " FROM campaigns c ORDER BY c.instruction_date DESC, c.id DESC")]
    if user is not None:
        rows = [r for r in rows if can_read_campaign(db, user, r["id"])]
    return rows


def update_campaign(db: sqlite_utils.Database, cid: int, *, name: str | None = None,
                    deadline: date | str | None = None, measure_ids: Iterable[str] | None = None,
                    user: dict[str, Any] | None = None) -> dict[str, Any]:
    """Change name, deadline or measures (audited with before/after); returns the campaign."""
    if user is not None:
        require(can_manage(user), "only an administrator or a lawyer may change campaigns")
    with write_transaction(db):
        before = get_campaign(db, cid)
        if before is None:
            raise ValueError(f"no campaign with id {cid}")
        new_name = before["name"] if name is None else " ".join(name.split())
        if not new_name:
            raise ValueError("the campaign needs a name")
        new_deadline = before["deadline"] if deadline is None else parse_date(deadline)
        if new_deadline < before["instruction_date"]:
            raise ValueError(f"the deadline {fmt_date(new_deadline)} is before the instruction date "
                             f"{fmt_date(before['instruction_date'])}")
        new_measures = before["measure_ids"] if measure_ids is None else _measure_list(measure_ids)
        db.execute("UPDATE campaigns SET name = ?, deadline = ?, measure_ids = ? WHERE id = ?",
                   [new_name, new_deadline.isoformat(), json.dumps(new_measures, ensure_ascii=False), cid])
        after = get_campaign(db, cid)
        old, new = _snapshot(before), _snapshot(after)
        changed = [k for k in old if old[k] != new[k]]
        if changed:
            record(db, user=user, action="update", entity="campaign", entity_id=cid,
                   before={k: old[k] for k in changed}, after={k: new[k] for k in changed}, campaign_id=cid)
    return after


def campaigns_of_act(db: sqlite_utils.Database, act_id: int, *,
                     user: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Campaigns the act is assigned in (newest first) with the agency and status there.

    With `user`, only campaigns where the user may follow the act (an agency: its own).
    """
    rows = [_decode(r) for r in db.query(
        "SELECT c.*, s.agency_id, g.name AS agency, s.status FROM assignments s"
        " JOIN campaigns c ON c.id = s.campaign_id JOIN agencies g ON g.id = s.agency_id"
        " WHERE s.act_id = ? ORDER BY c.instruction_date DESC, c.id DESC", [act_id])]
    if user is not None:
        if not can_read_act(db, user, act_id):
            return []
        if user.get("role") == "agency":
            rows = [r for r in rows if r["agency_id"] == user.get("agency_id")]
    return rows


# --- deadlines ------------------------------------------------------------------------------


def days_left(campaign: dict[str, Any], today: date) -> int:
    """Calendar days from `today` to the deadline: 0 on the deadline day, negative when overdue."""
    return (campaign["deadline"] - today).days


def working_days_left(campaign: dict[str, Any], today: date) -> int:
    """Working days after `today` up to and including the deadline (negative when overdue).

    Weekends, public holidays and their observed days off of the campaign's country are
    skipped, and a Saturday declared a working day counts (the `holidays` library's
    calendar). 0 on the deadline day, like days_left.
    """
    return _working_days_left(campaign.get("country") or "KZ", campaign["deadline"], today)


@functools.lru_cache(maxsize=1024)
def _working_days_left(country: str, deadline: date, today: date) -> int:
    # Cached: a pure function of its arguments that walks every day in between (~2 ms for a
    # year), and the dashboard asks it for the same campaign and day on every visit.
    calendar = holidays.country_holidays(country)
    if deadline > today:
        return calendar.get_working_days_count(today + timedelta(days=1), deadline)
    if deadline < today:
        return -calendar.get_working_days_count(deadline + timedelta(days=1), today)
    return 0


# --- assignments ----------------------------------------------------------------------------


def _require_campaign(db: sqlite_utils.Database, cid: int) -> dict[str, Any]:
    campaign = get_campaign(db, cid)
    if campaign is None:
        raise ValueError(f"no campaign with id {cid}")
    return campaign


def _assignment(db: sqlite_utils.Database, cid: int, act_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM assignments WHERE campaign_id = ? AND act_id = ?", [cid, act_id]))
    return rows[0] if rows else None


MAX_ASSIGN = 10_000  # acts in one bulk assignment: one SQL statement, one readable refusal


def assign_acts(db: sqlite_utils.Database, cid: int, agency_id: int, act_ids: Iterable[int], *,
                user: dict[str, Any] | None) -> int:
    """Assign acts to an agency for review; return how many assignments changed.

    An act already assigned to another agency in this campaign moves to this one (its
    verdicts stay with the act); one already assigned here is left alone. Every change is
    audited. All or nothing: an unknown act id refuses the whole batch.
    """
    from tracker.users import get_agency

    if user is not None:
        require(can_manage(user), "only an administrator or a lawyer may assign acts")
    ids = list(dict.fromkeys(int(a) for a in act_ids))
    if len(ids) > MAX_ASSIGN:
        raise ValueError(f"at most {MAX_ASSIGN} acts at once ({len(ids)} given)")
    changed = 0
    with write_transaction(db):
        _require_campaign(db, cid)
        agency = get_agency(db, agency_id)
        if agency is None:
            raise ValueError(f"no agency with id {agency_id}")
        known = {r[0] for r in db.execute(
            f"SELECT id FROM acts WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()} if ids else set()
        missing = [a for a in ids if a not in known]
        if missing:
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise ValueError(f"no act with id {', '.join(map(str, missing[:10]))}{more}")
        for act_id in ids:
            current = _assignment(db, cid, act_id)
            if current is None:
                db.execute("INSERT INTO assignments(campaign_id, act_id, agency_id, assigned_at, assigned_by)"
                           " VALUES (?,?,?,?,?)", [cid, act_id, agency_id, now_utc(), user["id"] if user else None])
                record(db, user=user, action="assign", entity="assignment", entity_id=f"{cid}/{act_id}",
                       before=None, after={"agency_id": agency_id, "agency": agency["name"]},
                       campaign_id=cid, act_id=act_id)
            elif current["agency_id"] != agency_id:
                old = get_agency(db, current["agency_id"])
                db.execute("UPDATE assignments SET agency_id = ?, assigned_at = ?, assigned_by = ?"
                           " WHERE campaign_id = ? AND act_id = ?",
                           [agency_id, now_utc(), user["id"] if user else None, cid, act_id])
                record(db, user=user, action="reassign", entity="assignment", entity_id=f"{cid}/{act_id}",
                       before={"agency_id": current["agency_id"], "agency": old["name"] if old else None},
                       after={"agency_id": agency_id, "agency": agency["name"]}, campaign_id=cid, act_id=act_id)
            else:
                continue
            changed += 1
    return changed


def unassign_act(db: sqlite_utils.Database, cid: int, act_id: int, *, user: dict[str, Any] | None) -> None:
    """Take an act out of a campaign; refused once it has verdicts or comments (reassign instead)."""
    if user is not None:
        require(can_manage(user), "only an administrator or a lawyer may assign acts")
    with write_transaction(db):
        current = _assignment(db, cid, act_id)
        if current is None:
            raise ValueError(f"act {act_id} is not assigned in campaign {cid}")
        used = db.execute("SELECT (SELECT COUNT(*) FROM verdicts WHERE campaign_id = ? AND act_id = ?)"
                          " + (SELECT COUNT(*) FROM comments WHERE campaign_id = ? AND act_id = ?)",
                          [cid, act_id, cid, act_id]).fetchone()[0]
        if used:
            raise ValueError(f"act {act_id} already has verdicts or comments in this campaign; "
                             "assign it to another agency instead")
        db.execute("DELETE FROM assignments WHERE campaign_id = ? AND act_id = ?", [cid, act_id])
        record(db, user=user, action="unassign", entity="assignment", entity_id=f"{cid}/{act_id}",
               before={"agency_id": current["agency_id"], "status": current["status"]}, after=None,
               campaign_id=cid, act_id=act_id)


# clauses_total: the count stored with the act at import (acts.clause_count), counted here only
# for a row that has none; clauses_reviewed: kept by triggers on verdicts (tracker.db m041).
_ASSIGNMENT_SQL = f"""
    SELECT s.campaign_id, s.act_id, s.agency_id, g.name AS agency, s.status,
           s.assigned_at, s.finished_at, s.finished_by,
           a.title AS act_title, a.number AS act_number, a.date AS act_date, a.act_type,
           COALESCE(a.clause_count, (SELECT COUNT(*) FROM units u WHERE u.act_id = s.act_id
                                      AND {is_clause_sql('u')})) AS clauses_total,
           s.clauses_reviewed
    FROM assignments s JOIN acts a ON a.id = s.act_id JOIN agencies g ON g.id = s.agency_id
    WHERE s.campaign_id = ?"""


def assignments(db: sqlite_utils.Database, cid: int, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """The campaign's acts (by agency, then act id): act title/number/date/type, agency, status,
    clauses_total and clauses_reviewed (clauses with a verdict)."""
    sql, params = _ASSIGNMENT_SQL, [cid]
    if agency_id is not None:
        sql += " AND s.agency_id = ?"
        params.append(agency_id)
    rows = list(db.query(sql + " ORDER BY g.name_key, s.act_id", params))
    for r in rows:  # short aliases for templates
        r["title"], r["number"] = r["act_title"], r["act_number"]
    return rows


def get_assignment(db: sqlite_utils.Database, cid: int, act_id: int) -> dict[str, Any] | None:
    """One act's row of `assignments`, or None if it is not assigned in the campaign."""
    rows = list(db.query(_ASSIGNMENT_SQL + " AND s.act_id = ?", [cid, act_id]))
    for r in rows:
        r["title"], r["number"] = r["act_title"], r["act_number"]
    return rows[0] if rows else None


def act_status(db: sqlite_utils.Database, cid: int, act_id: int) -> str:
    """'not_started' | 'in_progress' | 'reviewed'; ValueError if the act is not assigned there."""
    current = _assignment(db, cid, act_id)
    if current is None:
        raise ValueError(f"act {act_id} is not assigned in campaign {cid}")
    return current["status"]


def set_status(db: sqlite_utils.Database, cid: int, act_id: int, status: str, *,
               user: dict[str, Any] | None) -> None:
    """Move an act to `status` (audited); a no-op when it is there already. For tracker's own writers."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    with write_transaction(db):
        current = _assignment(db, cid, act_id)
        if current is None:
            raise ValueError(f"act {act_id} is not assigned in campaign {cid}")
        if current["status"] == status:
            return
        finished = (now_utc(), user["id"] if user else None) if status == "reviewed" else (None, None)
        db.execute("UPDATE assignments SET status = ?, finished_at = ?, finished_by = ?"
                   " WHERE campaign_id = ? AND act_id = ?", [status, *finished, cid, act_id])
        record(db, user=user, action="status", entity="assignment", entity_id=f"{cid}/{act_id}",
               before={"status": current["status"]}, after={"status": status}, campaign_id=cid, act_id=act_id)


def finish_act(db: sqlite_utils.Database, cid: int, act_id: int, *, user: dict[str, Any] | None) -> None:
    """Mark the act reviewed; refused (ValueError saying how many are left) while a clause has no verdict."""
    if user is not None:
        require(can_review(db, user, cid, act_id), "you may not review this act")
    with write_transaction(db):
        row = get_assignment(db, cid, act_id)
        if row is None:
            raise ValueError(f"act {act_id} is not assigned in campaign {cid}")
        left = row["clauses_total"] - row["clauses_reviewed"]
        if left:
            raise ValueError(f"{left} of {row['clauses_total']} clauses have no verdict yet")
        set_status(db, cid, act_id, "reviewed", user=user)


# --- progress and results -------------------------------------------------------------------


def _percent(done: int, total: int) -> int:
    # floor, so 99.6 % is not shown as a finished 100 %
    return math.floor(100 * done / total) if total else 0


def progress(db: sqlite_utils.Database, cid: int, today: date) -> list[dict[str, Any]]:
    """Per agency: acts, acts_reviewed, clauses_total, clauses_reviewed, percent (of clauses,
    rounded down; of acts when the acts have no clauses) and overdue (the deadline has
    passed and not every act is reviewed). Overdue agencies first, then least done first."""
    campaign = _require_campaign(db, cid)
    late = today > campaign["deadline"]
    by_agency: dict[int, dict[str, Any]] = {}
    for a in assignments(db, cid):
        p = by_agency.setdefault(a["agency_id"], {
            "agency_id": a["agency_id"], "agency": a["agency"], "acts": 0, "acts_reviewed": 0,
            "clauses_total": 0, "clauses_reviewed": 0})
        p["acts"] += 1
        p["acts_reviewed"] += a["status"] == "reviewed"
        p["clauses_total"] += a["clauses_total"]
        p["clauses_reviewed"] += a["clauses_reviewed"]
    for p in by_agency.values():
        p["percent"] = (_percent(p["clauses_reviewed"], p["clauses_total"]) if p["clauses_total"]
                        else _percent(p["acts_reviewed"], p["acts"]))
        p["overdue"] = late and p["acts_reviewed"] < p["acts"]
    return sorted(by_agency.values(), key=lambda p: (not p["overdue"], p["percent"], p["agency"].casefold()))


def progress_stamp(db: sqlite_utils.Database, cid: int) -> tuple:
    """A value that changes whenever progress() or overdue_acts() change other than by a verdict:
    the deadline, which acts are assigned to whom, and which are finished.

    Caches of those figures (web.cache, one per server process) key on it, so that a change
    made through another process shows at once, while verdicts may lag. One row: the
    campaign's deadline and its progress_version, which triggers on assignments keep (m045).
    """
    row = db.execute("SELECT deadline, progress_version FROM campaigns WHERE id = ?", [cid]).fetchone()
    return tuple(row) if row is not None else (None, None)


def overdue_acts(db: sqlite_utils.Database, cid: int, today: date) -> list[dict[str, Any]]:
    """Assigned acts not yet reviewed once the deadline has passed (empty before and on it)."""
    campaign = _require_campaign(db, cid)
    if today <= campaign["deadline"]:
        return []
    return [a for a in assignments(db, cid) if a["status"] != "reviewed"]


def guillotine(db: sqlite_utils.Database, cid: int) -> dict[str, list[dict[str, Any]]]:
    """The "regulatory guillotine" lists: every assigned act under keep, amend or repeal.

    Rule, on the verdicts of the act's clauses:
    - repeal: the act has clauses and every one of them is `repeal` or `duplicative`
      (nothing of it survives);
    - amend: otherwise, any clause is `amend`, `repeal` or `duplicative`;
    - keep: everything else (only `keep` / `not_applicable`, or no verdict yet).
    A clause without a verdict counts as not repealed, so an unfinished act is never
    listed for repeal; each entry carries status, clauses_total, clauses_reviewed and
    `verdicts` (count per verdict) so a list of unfinished work can be told apart.
    """
    counts: dict[int, dict[str, int]] = {}
    for act_id, verdict, n in db.execute(
            f"SELECT v.act_id, v.verdict, COUNT(*) FROM verdicts v JOIN units u"
            f" ON u.act_id = v.act_id AND u.uid = v.uid WHERE v.campaign_id = ? AND {is_clause_sql('u')}"
            f" GROUP BY v.act_id, v.verdict", [cid]).fetchall():
        counts.setdefault(act_id, {})[verdict] = n
    lists: dict[str, list[dict[str, Any]]] = {"keep": [], "amend": [], "repeal": []}
    for a in assignments(db, cid):
        c = counts.get(a["act_id"], {})
        removed = c.get("repeal", 0) + c.get("duplicative", 0)
        entry = dict(a, verdicts=c)
        if a["clauses_total"] and removed == a["clauses_total"]:
            lists["repeal"].append(entry)
        elif removed or c.get("amend", 0):
            lists["amend"].append(entry)
        else:
            lists["keep"].append(entry)
    return lists
