"""Reviewing an act in a campaign: a verdict per clause (with reason and new wording where
needed), comments, finishing the act, and each clause's audit trail.

Another agency's act answers 404 on every route, whether it exists or not.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.acts import _links_by_unit, _measures_by_id
from web.cache import invalidate
from web.campaigns import require_campaign
from web.core import get_db, logged_in, user_row
from web.messages import user_message

bp = Blueprint("review", __name__, url_prefix="/campaigns/<int:cid>/acts/<int:act_id>")


def _require(cid: int, act_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]:
    """(campaign, act, assignment, may review) or 404 when the user may not see this act here."""
    from tracker.access import can_read_act, can_review
    from tracker.acts import get_act
    from tracker.campaigns import get_assignment

    db = get_db()
    user = user_row()
    campaign = require_campaign(cid)
    act = get_act(db, act_id)
    assignment = get_assignment(db, cid, act_id)
    if act is None or assignment is None or not can_read_act(db, user, act_id):
        abort(404)
    may_review = can_review(db, user, cid, act_id)
    if user.get("role") == "agency" and not may_review:  # assigned to another agency in this campaign
        abort(404)
    return campaign, act, assignment, may_review


def _page(cid: int, act_id: int, *, drafts: dict[str, dict[str, str]] | None = None,
          errors: dict[str, str] | None = None, status: int = 200):
    from tracker.acts import get_units
    from tracker.campaigns import clause_units
    from tracker.verdicts import VERDICTS, get_comments, get_verdicts

    db = get_db()
    campaign, act, assignment, may_review = _require(cid, act_id)
    clause_ids = {u["uid"] for u in clause_units(db, act_id)}
    comments: dict[str, list[dict[str, Any]]] = {}
    for c in get_comments(db, cid, act_id):
        comments.setdefault(c["uid"], []).append(c)
    return render_template(
        "review/act.html", campaign=campaign, act=act, assignment=assignment, may_review=may_review,
        units=get_units(db, act_id), clause_ids=clause_ids, verdicts=get_verdicts(db, cid, act_id),
        comments=comments, verdict_names=VERDICTS, links=_links_by_unit(act_id),
        measures=_measures_by_id(), drafts=drafts or {}, errors=errors or {}), status


@bp.get("")
@logged_in
def act(cid: int, act_id: int):
    return _page(cid, act_id)


def _back(cid: int, act_id: int, uid: str | None = None):
    return redirect(url_for("review.act", cid=cid, act_id=act_id, _anchor=f"u-{uid}" if uid else None), 303)


@bp.post("/units/<uid>/verdict")
@logged_in
def verdict(cid: int, act_id: int, uid: str):
    """Store a verdict; on a refusal the page comes back with the typed text kept (400)."""
    from tracker.verdicts import set_verdict

    _campaign, _act, _assignment, may_review = _require(cid, act_id)
    if not may_review:
        abort(403)
    form = request.form
    try:
        set_verdict(get_db(), cid, act_id, uid, form.get("verdict", ""), user=user_row(),
                    reason=form.get("reason", ""), new_wording=form.get("new_wording", ""),
                    comment=form.get("comment", ""))
    except PermissionError:
        abort(404)
    except ValueError as exc:
        return _page(cid, act_id, drafts={uid: dict(form)}, errors={uid: user_message(exc)}, status=400)
    # no cache invalidation here: with many reviewers at work, dropping the campaign's figures
    # on every verdict would recompute them on nearly every dashboard view; they lag <= 5 s
    return _back(cid, act_id, uid)


@bp.post("/units/<uid>/comment")
@logged_in
def comment(cid: int, act_id: int, uid: str):
    from tracker.verdicts import add_comment

    _campaign, _act, _assignment, may_review = _require(cid, act_id)
    if not may_review:
        abort(403)
    try:
        add_comment(get_db(), cid, act_id, uid, request.form.get("text", ""), user=user_row())
    except PermissionError:
        abort(404)
    except ValueError as exc:
        flash(user_message(exc), "error")
    return _back(cid, act_id, uid)


@bp.post("/finish")
@logged_in
def finish(cid: int, act_id: int):
    """Mark the act reviewed; refused with the number of clauses still without a verdict."""
    from tracker.campaigns import finish_act

    _campaign, _act, _assignment, may_review = _require(cid, act_id)
    if not may_review:
        abort(403)
    try:
        finish_act(get_db(), cid, act_id, user=user_row())
    except PermissionError:
        abort(404)
    except ValueError as exc:
        flash(user_message(exc), "error")
    else:
        invalidate(cid)
        flash(_("The act is marked as reviewed."), "ok")
    return _back(cid, act_id)


@bp.get("/units/<uid>/history")
@logged_in
def history(cid: int, act_id: int, uid: str):
    """Who set which verdict and comment on this clause, and when (newest first)."""
    from tracker.audit import history as audit_history

    campaign, act, _assignment, _may = _require(cid, act_id)
    unit = next((u for u in _units(act_id) if u["uid"] == uid), None)
    if unit is None:
        abort(404)
    entries = audit_history(get_db(), act_id=act_id, uid=uid, campaign_id=cid)
    return render_template("review/history.html", campaign=campaign, act=act, unit=unit, entries=entries)


def _units(act_id: int) -> list[dict[str, Any]]:
    from tracker.acts import get_units

    return get_units(get_db(), act_id)
