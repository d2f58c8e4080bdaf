"""Acts: the list, an act's page (its structure as a tree, facts, proposed measures, burden),
the original file, uploading files, and the import jobs that parse them off the request."""
from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from web.cache import Memo
from web.core import (
    ROLES_MANAGE,
    build_tree,
    get_db,
    logged_in,
    measures,
    page_args,
    require_act,
    roles_required,
    user_row,
)
from web.messages import technical_detail, user_message
from web.sessions import csrf_token

bp = Blueprint("acts", __name__)

UPLOAD_EXTENSIONS = (".docx", ".pdf", ".doc", ".rtf", ".txt", ".md", ".html", ".htm")


def _visible_ids() -> set[int] | None:
    """Act ids the user may see, or None for "all" (lawyers, admins, heads)."""
    from tracker.access import visible_act_ids

    ids = visible_act_ids(get_db(), user_row())
    return None if ids is None else set(ids)


@bp.get("/acts")
@logged_in
def list_():
    from tracker.acts import get_act, list_acts

    db = get_db()
    page, size = page_args()
    latest_only = request.args.get("all") != "1"
    visible = _visible_ids()
    if visible is None:
        rows = list_acts(db, latest_only=latest_only, limit=size + 1, offset=(page - 1) * size)
    else:  # an agency's few assigned acts
        rows = [a for a in (get_act(db, i) for i in sorted(visible)) if a]
        rows = rows[(page - 1) * size: page * size + 1]
    has_next = len(rows) > size
    return render_template("acts/list.html", acts=rows[:size], page=page, has_next=has_next,
                           latest_only=latest_only)


@bp.get("/acts/<int:act_id>")
@logged_in
def show(act_id: int):
    from tracker.acts import act_versions

    db = get_db()
    act = require_act(act_id)
    structure, unit_count = _structure(act)
    return render_template(
        "acts/act.html", act=act, structure=structure, unit_count=unit_count,
        versions=_visible_versions(act_versions(db, act_id)), burden=act.get("burden"),
        campaigns=_campaigns_of(act_id))


def _visible_versions(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the versions this user may open: an agency does not learn of versions not assigned to it."""
    visible = _visible_ids()
    return versions if visible is None else [v for v in versions if v["id"] in visible]


_CSRF_PLACEHOLDER = "\x00csrf\x00"  # cannot occur in escaped clause text
_structures = Memo(size=int(os.environ.get("NORMA_TREE_CACHE_SIZE", 100)))


def _structure(act: dict[str, Any]) -> tuple[Markup, int]:
    """The act's clause tree as HTML and its number of units, drawn once per key and kept.

    Clauses never change after import, so the tree depends only on the act, the language,
    whether the user may decide links (forms or not) and the links and measures, which do
    change: those are in the key as a digest, so a decision shows at once in every process.
    The forms' CSRF token is signed per request: the kept HTML holds a placeholder for it.
    """
    from tracker.acts import get_units

    can_link = user_row().get("role") in ROLES_MANAGE
    links, measures_ = _links_by_unit(act["id"]), _measures_by_id()
    # tracker.acts.set_facts may store new facts for an imported act: their size is in the stamp
    # (one indexed scan of the act's units, far cheaper than drawing them).
    facts = get_db().execute("SELECT COUNT(*), TOTAL(LENGTH(facts)) FROM units WHERE act_id = ?",
                             [act["id"]]).fetchone()
    stamp = hashlib.blake2b(repr((sorted(links.items()), sorted(measures_.items()), tuple(facts),
                                  act.get("burden"))).encode(), digest_size=16).hexdigest()
    key = (current_app.config["DATABASE"], act["id"], act.get("file_sha256"), str(get_locale()), can_link, stamp)

    def draw() -> tuple[str, int]:
        units = get_units(get_db(), act["id"])
        html = render_template("acts/_structure.html", act=act, tree=build_tree(units), links=links,
                               measures=measures_, can_link=can_link, csrf_token=lambda: _CSRF_PLACEHOLDER)
        return html, len(units)

    html, count = _structures.get(key, draw)
    if can_link:
        html = html.replace(_CSRF_PLACEHOLDER, csrf_token())
    return Markup(html), count


def _links_by_unit(act_id: int) -> dict[str, list[dict[str, Any]]]:
    """Proposed (and decided) measure links of the act's clauses, by unit id (tracker.links)."""
    from tracker.links import links_for_act

    out: dict[str, list[dict[str, Any]]] = {}
    for link in links_for_act(get_db(), act_id):
        out.setdefault(link["uid"], []).append(link)
    return out


def _measures_by_id() -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in measures()}


def _campaigns_of(act_id: int) -> list[dict[str, Any]]:
    """Campaigns in which this act is assigned and the user may review or follow it."""
    from tracker.campaigns import campaigns_of_act

    return campaigns_of_act(get_db(), act_id, user=user_row())


@bp.post("/acts/<int:act_id>/units/<uid>/links/<measure_id>")
@roles_required(*ROLES_MANAGE)
def decide_link(act_id: int, uid: str, measure_id: str):
    """Confirm or reject a proposed link between a clause and a measure."""
    from tracker.links import decide

    require_act(act_id)
    decision = request.form.get("decision")
    if decision not in ("confirmed", "rejected", "proposed"):
        abort(400)
    try:
        decide(get_db(), act_id, uid, measure_id, decision, user=user_row())
    except KeyError:
        abort(404)
    except ValueError as exc:
        flash(user_message(exc), "error")
    return redirect(url_for("acts.show", act_id=act_id, _anchor=f"u-{uid}"))


@bp.post("/acts/<int:act_id>/units/<uid>/links")
@roles_required(*ROLES_MANAGE)
def add_link(act_id: int, uid: str):
    """Link a clause to a measure the linker did not propose ("added by hand")."""
    from tracker.links import decide

    require_act(act_id)
    measure_id = (request.form.get("measure_id") or "").strip()
    if measure_id not in _measures_by_id():
        abort(400)
    why = (request.form.get("why") or "").strip()[:500] or None
    try:
        decide(get_db(), act_id, uid, measure_id, "added", user=user_row(), why=why)
    except KeyError:
        abort(404)
    return redirect(url_for("acts.show", act_id=act_id, _anchor=f"u-{uid}"))


@bp.get("/acts/<int:act_id>/file")
@logged_in
def download(act_id: int):
    """The original bytes the act was parsed from."""
    from tracker.files import read_blob

    act = require_act(act_id)
    try:
        data = read_blob(get_db(), act["file_sha256"])
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype="application/octet-stream", headers={
        "Content-Disposition": _attachment(act["file_name"])})


def _attachment(name: str) -> str:
    """RFC 6266 header value that survives Cyrillic file names."""
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# --- upload and jobs -------------------------------------------------------------------------


@bp.route("/upload", methods=["GET", "POST"])
@roles_required(*ROLES_MANAGE)
def upload():
    """Several files at once; each becomes an import job parsed by the worker thread."""
    from tracker.jobs import enqueue_import

    if request.method == "POST":
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            flash(_("Choose at least one file."), "error")
            return render_template("acts/upload.html"), 400
        ids = []
        for f in files:
            data = f.read()
            ids.append(enqueue_import(current_app.config["DATABASE"], f.filename, data,
                                      user_id=user_row()["id"]))
        flash(_("Files queued for parsing: %(n)d.", n=len(ids)), "ok")
        return redirect(url_for("acts.jobs", ids=",".join(map(str, ids))))
    return render_template("acts/upload.html", extensions=", ".join(UPLOAD_EXTENSIONS))


@bp.get("/jobs")
@roles_required(*ROLES_MANAGE)
def jobs():
    """The user's import jobs; the page refreshes itself while any is still running."""
    from tracker.jobs import jobs_for_user

    rows = _present_jobs(jobs_for_user(get_db(), user_row()["id"]))
    running = any(j.get("status") in ("queued", "running") for j in rows)
    return render_template("acts/jobs.html", jobs=rows, running=running,
                           refresh=current_app.config["JOBS_REFRESH_SECONDS"])


@bp.get("/jobs/<int:job_id>")
@roles_required(*ROLES_MANAGE)
def job(job_id: int):
    from tracker.jobs import job as get_job

    row = get_job(get_db(), job_id)
    if row is None or (row.get("user_id") != user_row()["id"] and user_row().get("role") != "admin"):
        abort(404)
    running = row.get("status") in ("queued", "running")
    return render_template("acts/jobs.html", jobs=_present_jobs([row]), running=running, single=True,
                           refresh=current_app.config["JOBS_REFRESH_SECONDS"])


def _present_jobs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Jobs with the message in the interface language and the imported act's title."""
    from tracker.acts import get_act

    out = []
    for j in rows:
        raw = j.get("message") or ""
        j = dict(j, message=user_message(raw), detail=technical_detail(raw))
        if j.get("act_id"):
            act = get_act(get_db(), j["act_id"])
            j["act_title"] = act["title"] if act else None
        out.append(j)
    return out
