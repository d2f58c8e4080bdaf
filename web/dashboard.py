"""The dashboard (days left, progress per agency, what is overdue, "my queue" for agency staff)
and full-text search over clauses, limited to what the user may see."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, get_template_attribute, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from web.cache import Figures, Memo, campaign_figures
from web.core import get_db, logged_in, progress_bars, today, urls_by_id, user_row

bp = Blueprint("dashboard", __name__)

SEARCH_LIMIT = 50
_results = Memo(size=500)  # search results as HTML, by database, newest act, query, readable acts, language
_rows = Memo(size=5000)  # rows of "My queue" as HTML, by everything they show
DASHBOARD_ROWS = 20  # rows of "My queue" and "Overdue acts" shown before the link to all of them


@bp.get("/")
@logged_in
def index():
    from tracker.campaigns import (
        assignments,
        days_left,
        list_campaigns,
    )

    db = get_db()
    user = user_row()
    agency = user.get("agency_id") if user.get("role") == "agency" else None
    now = today()
    campaigns = list_campaigns(db, user=user)
    chosen = None
    if request.args.get("campaign", "").isdigit():
        chosen = next((c for c in campaigns if c["id"] == int(request.args["campaign"])), None)
    if chosen is None and campaigns:
        open_ones = [c for c in campaigns if days_left(c, now) >= 0]
        chosen = open_ones[0] if open_ones else campaigns[0]

    # The nearest deadlines come first, so the first rows are the ones to act on; the page is opened
    # after every review and drawing a hundred rows each time costs more than the rest of it.
    show_all = request.args.get("all") == "1"
    rows = None if show_all else DASHBOARD_ROWS
    all_url = url_for("dashboard.index", all=1, **({"campaign": chosen["id"]} if chosen else {}))
    summary_html = Markup("")
    if chosen is not None:  # drawn once per cached figures and what else it shows
        figures = campaign_figures(db, chosen["id"], now)
        key = (agency, user.get("role"), str(get_locale()), request.script_root, rows, chosen["id"],
               tuple((c["id"], c["name"]) for c in campaigns))
        summary_html = figures.html(key, lambda: _summary_html(figures, chosen, campaigns, agency, now,
                                                                rows, all_url))

    queue: list[dict[str, Any]] = []
    if agency is not None:  # my queue: every unfinished act of my agency, nearest deadline first
        for c in campaigns:
            for a in assignments(db, c["id"], agency_id=agency):
                if a["status"] != "reviewed":
                    queue.append(dict(a, campaign=c, days_left=days_left(c, now)))
        queue.sort(key=lambda a: (a["campaign"]["deadline"], a["act_id"]))
    shown = queue[:rows]
    for c in campaigns:  # one URL pattern per campaign, not a url_for per row
        mine = [a for a in shown if a["campaign"]["id"] == c["id"]]
        urls = urls_by_id("review.act", "act_id", [a["act_id"] for a in mine], cid=c["id"])
        for a in mine:
            a["url"] = urls[a["act_id"]]
    # Each row's HTML, kept under everything it shows: between two visits (one after every
    # review) at most the row of the act just reviewed changes, and drawing 20 rows is ~0.7 ms.
    draw_row, locale = get_template_attribute("dashboard/_queue_row.html", "row"), str(get_locale())
    for a in shown:
        c = a["campaign"]
        key = (locale, a["url"], a["title"], c["name"], c["deadline"], a["days_left"], a["status"],
               a["clauses_total"], a["clauses_reviewed"])
        a["html"] = _rows.get(key, lambda a=a: draw_row(a))
    return render_template("dashboard/index.html", summary_html=summary_html, queue=shown,
                           queue_total=len(queue), all_url=all_url)


def _summary_html(figures: Figures, chosen: dict[str, Any], campaigns: list[dict[str, Any]],
                  agency: int | None, now: date, rows: int | None, all_url: str) -> Markup:
    """The chosen campaign's days left, stats and bars, and (for all agencies) what is overdue."""
    from tracker.campaigns import days_left, working_days_left

    prog, late = figures.of(agency)
    summary = {
        "campaign": chosen, "days_left": days_left(chosen, now),
        "working_days_left": working_days_left(chosen, now), "progress": prog,
        "bars": progress_bars(prog), "overdue_agencies": [p for p in prog if p["overdue"]],
        "overdue_acts": late,
        "acts": sum(p["acts"] for p in prog), "acts_reviewed": sum(p["acts_reviewed"] for p in prog),
    }
    return Markup(render_template("dashboard/_summary.html", summary=summary, campaigns=campaigns,
                                  overdue_shown=late[:rows], all_url=all_url))


@bp.get("/search")
@logged_in
def search():
    """Clauses containing every word of the query in any form (lemmas; ё and е alike)."""
    q = request.args.get("q", "").strip()[:500]
    return render_template("dashboard/search.html", q=q, results=Markup(_results_html(q)) if q else "")


def _results_html(q: str) -> str:
    """The best matches among the acts the user may read (restricted inside the index), as HTML.

    Kept per query: clauses never change after import and acts are only ever added, each with
    new rows in the index, so the newest act and index row say whether anything could be found
    that was not before; the acts the user may read and the language complete the key.
    """
    from tracker.access import visible_act_ids
    from tracker.acts import search_units
    from tracker.search_index import search as search_agency_acts
    from tracker.search_index import stamp

    db = get_db()
    user = user_row()
    visible = visible_act_ids(db, user)
    newest = db.execute("SELECT (SELECT MAX(id) FROM acts),"
                        " (SELECT rowid FROM units_fts ORDER BY rowid DESC LIMIT 1)").fetchone()
    who = None if visible is None else stamp(visible)
    key = (current_app.config["DATABASE"], tuple(newest), q, who, str(get_locale()))
    def draw() -> str:
        if user.get("role") == "agency":  # in the agency's own index when it is up to date
            results = search_agency_acts(db, q, agency_id=user["agency_id"], act_ids=visible, limit=SEARCH_LIMIT)
        else:
            results = search_units(db, q, act_ids=visible, limit=SEARCH_LIMIT)
        act_urls = urls_by_id("acts.show", "act_id", {r["act_id"] for r in results})
        return render_template("dashboard/_results.html", q=q, limit=SEARCH_LIMIT, results=results,
                               act_urls=act_urls)

    return _results.get(key, draw)
