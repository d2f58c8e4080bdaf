"""Downloads: every verdict of a campaign as XLSX or CSV, and the comparison table (DOCX) of an
act or an agency. Agency staff get their own agency's rows and documents only."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, abort

from web.campaigns import require_campaign
from web.core import get_db, logged_in, today, user_row

bp = Blueprint("exports", __name__, url_prefix="/campaigns/<int:cid>")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _own_agency() -> int | None:
    row = user_row()
    return row.get("agency_id") if row.get("role") == "agency" else None


def _download(data: bytes, mimetype: str, name: str) -> Response:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


def _stem(campaign: dict, what: str) -> str:
    return f"norma-{campaign['id']}-{what}-{today().strftime('%d.%m.%Y')}"


@bp.get("/verdicts.xlsx")
@logged_in
def verdicts_xlsx(cid: int):
    from tracker.exports import verdict_rows
    from tracker.exports import verdicts_xlsx as build

    campaign = require_campaign(cid)
    rows = verdict_rows(get_db(), campaign["id"], agency_id=_own_agency())
    return _download(build(rows), XLSX, _stem(campaign, "verdicts") + ".xlsx")


@bp.get("/verdicts.csv")
@logged_in
def verdicts_csv(cid: int):
    from tracker.exports import verdict_rows
    from tracker.exports import verdicts_csv as build

    campaign = require_campaign(cid)
    rows = verdict_rows(get_db(), campaign["id"], agency_id=_own_agency())
    return _download(build(rows), "text/csv; charset=utf-8", _stem(campaign, "verdicts") + ".csv")


@bp.get("/acts/<int:act_id>/comparison.docx")
@logged_in
def comparison_act(cid: int, act_id: int):
    """The comparison table of one act (404 for an agency when the act is another agency's)."""
    from tracker.access import can_read_act
    from tracker.campaigns import get_assignment
    from tracker.exports import comparison_docx

    db = get_db()
    campaign = require_campaign(cid)
    assignment = get_assignment(db, campaign["id"], act_id)
    own = _own_agency()
    if (assignment is None or not can_read_act(db, user_row(), act_id)
            or (own is not None and assignment["agency_id"] != own)):
        abort(404)
    data = comparison_docx(db, campaign["id"], act_id=act_id)
    return _download(data, DOCX, _stem(campaign, f"act-{act_id}") + ".docx")


@bp.get("/agencies/<int:agency_id>/comparison.docx")
@logged_in
def comparison_agency(cid: int, agency_id: int):
    """The comparison tables of every act of an agency (an agency user: only its own)."""
    from tracker.exports import comparison_docx
    from tracker.users import get_agency

    db = get_db()
    campaign = require_campaign(cid)
    own = _own_agency()
    if get_agency(db, agency_id) is None or (own is not None and own != agency_id):
        abort(404)
    data = comparison_docx(db, campaign["id"], agency_id=agency_id)
    return _download(data, DOCX, _stem(campaign, f"agency-{agency_id}") + ".docx")

