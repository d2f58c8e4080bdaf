"""Campaigns: list, create and edit (name, instruction date, deadline, measures), the overview
with progress per agency and the assigned acts, bulk assignment, the outcome lists, the trail."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.cache import campaign_figures, invalidate
from web.core import (
    ROLES_MANAGE,
    get_db,
    logged_in,
    measures,
    page_args,
    progress_bars,
    roles_required,
    today,
    user_row,
)
from web.messages import user_message

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def require_campaign(cid: int) -> dict[str, Any]:
    """The campaign if the user may see it; 404 otherwise (an agency sees only its campaigns)."""
    from tracker.access import can_read_campaign
    from tracker.campaigns import get_campaign

    db = get_db()
    campaign = get_campaign(db, cid)
    if campaign is None or not can_read_campaign(db, user_row(), cid):
        abort(404)
    return campaign


def _agency_scope() -> int | None:
    """The agency whose rows an agency user is limited to; None for everyone else."""
    row = user_row()
    return row.get("agency_id") if row.get("role") == "agency" else None


@bp.get("")
@logged_in
def list_():
    from tracker.campaigns import days_left, list_campaigns

    rows = list_campaigns(get_db(), user=user_row())
    for c in rows:
        c["days_left"] = days_left(c, today())
    return render_template("campaigns/list.html", campaigns=rows)


def _form_values(form) -> dict[str, Any]:
    return {"name": form.get("name", ""), "instruction_date": form.get("instruction_date", ""),
            "deadline": form.get("deadline", ""), "country": form.get("country", "KZ"),
            "measure_ids": form.getlist("measure_ids") + form.get("measure_text", "").replace(",", " ").split()}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ROLES_MANAGE)
def new():
    from tracker.campaigns import COUNTRIES, create_campaign

    values = {"name": "", "instruction_date": today().strftime("%d.%m.%Y"), "deadline": "",
              "country": "KZ", "measure_ids": []}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            cid = create_campaign(get_db(), values["name"], values["instruction_date"],
                                  country=values["country"], deadline=values["deadline"] or None,
                                  measure_ids=values["measure_ids"], created_by=user_row())
        except ValueError as exc:
            flash(user_message(exc), "error")
        else:
            flash(_("Campaign created."), "ok")
            return redirect(url_for("campaigns.assign", cid=cid))
    return render_template("campaigns/form.html", values=values, countries=COUNTRIES,
                           measures=measures(), campaign=None)


@bp.route("/<int:cid>/edit", methods=["GET", "POST"])
@roles_required(*ROLES_MANAGE)
def edit(cid: int):
    from tracker.campaigns import update_campaign

    campaign = require_campaign(cid)
    values = {"name": campaign["name"], "instruction_date": campaign["instruction_date"].strftime("%d.%m.%Y"),
              "deadline": campaign["deadline"].strftime("%d.%m.%Y"), "country": campaign["country"],
              "measure_ids": campaign["measure_ids"]}
    if request.method == "POST":
        values = dict(values, **{k: v for k, v in _form_values(request.form).items()
                                 if k in ("name", "deadline", "measure_ids")})
        try:
            update_campaign(get_db(), cid, name=values["name"], deadline=values["deadline"] or None,
                            measure_ids=values["measure_ids"], user=user_row())
        except ValueError as exc:
            flash(user_message(exc), "error")
        else:
            invalidate(cid)
            flash(_("Saved."), "ok")
            return redirect(url_for("campaigns.show", cid=cid))
    return render_template("campaigns/form.html", values=values, countries=(campaign["country"],),
                           measures=measures(), campaign=campaign)


@bp.get("/<int:cid>")
@logged_in
def show(cid: int):
    from tracker.campaigns import (
        assignments,
        days_left,
        working_days_left,
    )

    db = get_db()
    campaign = require_campaign(cid)
    agency = _agency_scope()
    now = today()
    rows = assignments(db, cid, agency_id=agency)
    figures = campaign_figures(db, cid, now)
    prog = figures.of(agency)[0]
    late_ids = {a["act_id"] for a in figures.overdue}
    by_id = {m["id"]: m for m in measures()}
    return render_template(
        "campaigns/show.html", campaign=campaign, assignments=rows, progress=prog,
        bars=progress_bars(prog), late_ids=late_ids, days_left=days_left(campaign, now),
        working_days_left=working_days_left(campaign, now),
        campaign_measures=[by_id.get(m, {"id": m}) for m in campaign["measure_ids"]])


@bp.route("/<int:cid>/assign", methods=["GET", "POST"])
@roles_required(*ROLES_MANAGE)
def assign(cid: int):
    """Assign acts to an agency in bulk: tick acts in the list (filterable) or type their numbers."""
    from tracker.acts import list_acts
    from tracker.campaigns import assign_acts, assignments
    from tracker.users import list_agencies

    db = get_db()
    campaign = require_campaign(cid)
    if request.method == "POST":
        ids = set(request.form.getlist("act_ids"))
        ids.update(_parse_ids(request.form.get("act_numbers", "")))
        try:
            agency_id = int(request.form.get("agency_id", ""))
            act_ids = sorted(int(i) for i in ids)
        except ValueError:
            flash(_("Choose an agency and at least one act."), "error")
            return redirect(url_for("campaigns.assign", cid=cid))
        if not act_ids:
            flash(_("Choose an agency and at least one act."), "error")
            return redirect(url_for("campaigns.assign", cid=cid))
        try:
            n = assign_acts(db, cid, agency_id, act_ids, user=user_row())
        except ValueError as exc:
            flash(user_message(exc), "error")
            return redirect(url_for("campaigns.assign", cid=cid))
        invalidate(cid)
        flash(_("Acts assigned: %(n)d.", n=n), "ok")
        return redirect(url_for("campaigns.show", cid=cid))
    page, size = page_args()
    q = request.args.get("q", "").strip().casefold()
    acts = list_acts(db, latest_only=True, limit=None if q else size + 1, offset=0 if q else (page - 1) * size)
    if q:  # a title filter over the list (hand-written: list_acts has no text filter)
        acts = [a for a in acts if q in (a["title"] or "").casefold() or q in a["file_name"].casefold()
                or q == str(a["id"]) or q == (a["number"] or "").casefold()]
        acts = acts[(page - 1) * size: page * size + 1]
    assigned = {a["act_id"]: a for a in assignments(db, cid)}
    return render_template("campaigns/assign.html", campaign=campaign, acts=acts[:size],
                           has_next=len(acts) > size, page=page, q=request.args.get("q", ""),
                           agencies=list_agencies(db), assigned=assigned)


def _parse_ids(text: str) -> set[str]:
    """'1, 4-7 12' -> {'1','4','5','6','7','12'}; ranges capped so a typo cannot ask for millions."""
    out: set[str] = set()
    for part in text.replace(",", " ").replace(";", " ").split():
        if "-" in part:
            lo, _sep, hi = part.partition("-")
            if lo.isdigit() and hi.isdigit() and 0 <= int(hi) - int(lo) <= 10_000:
                out.update(str(i) for i in range(int(lo), int(hi) + 1))
                continue
        out.add(part)
    return out


@bp.get("/<int:cid>/outcome")
@logged_in
def outcome(cid: int):
    """The result as three lists: keep, amend, repeal (an agency sees its own acts only)."""
    from tracker.campaigns import guillotine

    campaign = require_campaign(cid)
    lists = guillotine(get_db(), cid)
    agency = _agency_scope()
    if agency is not None:
        lists = {k: [a for a in v if a["agency_id"] == agency] for k, v in lists.items()}
    return render_template("campaigns/outcome.html", campaign=campaign, lists=lists)


@bp.get("/<int:cid>/history")
@roles_required(*ROLES_MANAGE, "viewer")
def history(cid: int):
    """The campaign's audit trail, newest first."""
    from tracker.audit import history as audit_history

    campaign = require_campaign(cid)
    return render_template("campaigns/history.html", campaign=campaign,
                           entries=audit_history(get_db(), campaign_id=cid, limit=500))
