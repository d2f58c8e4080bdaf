"""What every blueprint shares: the request's database, the logged-in user, role checks,
and small presentation helpers (dates as dd.mm.yyyy, the act tree, fact highlighting).

Views stay thin: they call `tracker` functions and render templates; no SQL here.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import sqlite_utils
from flask import abort, current_app, g, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from markupsafe import Markup, escape

from tracker.dates import fmt_date, fmt_datetime
from tracker.db import open_db
from web.cache import Memo

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page itself says why the user is there

ROLES_MANAGE = ("admin", "lawyer")


_thread = threading.local()  # .db: this thread's connection, .path: the file it is open on


def get_db() -> sqlite_utils.Database:
    """The request's database connection: the one this thread used for its last request.

    A new connection costs more than opening the file: SQLite's page cache belongs to the
    connection, so every request started cold (1-3 ms of 3-10 ms on the bench's pages).
    sqlite3 connections are bound to their thread, so each server thread keeps its own
    (gunicorn's threads live as long as the worker). A thread keeps one connection only:
    another DATABASE (tests) closes the old one.
    """
    if "db" not in g:
        path = current_app.config["DATABASE"]
        db = getattr(_thread, "db", None)
        if db is None or _thread.path != path:
            if db is not None:
                db.close()
            _thread.db, _thread.path = None, path
            db = _thread.db = open_db(path)
        g.db = db
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    """At the end of a request the thread's connection stays open, never inside a transaction:
    a request that failed half-way must not leave its writes pending for the next one."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


class User(UserMixin):
    """Flask-Login's view of a row of tracker.users; `row` is what tracker.access expects."""

    def __init__(self, row: dict[str, Any]):
        self.row = row

    def get_id(self) -> str:
        # "id:stamp": a password change makes the stamp, and so every older session, invalid
        from tracker.users import credential_stamp

        return f"{self.row['id']}:{credential_stamp(get_db(), self.row['id'])}"

    @property
    def is_active(self) -> bool:
        return bool(self.row.get("active", True))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    from tracker.users import session_user

    uid, _, stamp = (user_id or "").partition(":")
    try:
        row = session_user(get_db(), int(uid), stamp)  # None once the password has changed
    except (TypeError, ValueError, OverflowError):
        return None
    return User(row) if row is not None else None


def user_row() -> dict[str, Any]:
    """The logged-in user's row, as tracker.access and tracker's writers take it."""
    return current_user.row


def roles_required(*roles: str) -> Callable:
    """Allow a view only to logged-in users with one of `roles` (403 otherwise).

    403 is right here: a role's pages are no secret. Objects of another agency are
    refused with 404 by `require_act` so their existence does not leak.
    """
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and current_user.row.get("role") not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.roles = roles  # read by the role x route tests
        return wrapped
    return decorator


def logged_in(view: Callable) -> Callable:
    """Any logged-in user, whatever the role."""
    return roles_required()(view)


def require_act(act_id: int) -> dict[str, Any]:
    """The act, if it exists and the user may read it; 404 in every other case."""
    from tracker.access import can_read_act
    from tracker.acts import get_act

    db = get_db()
    act = get_act(db, act_id)
    if act is None or not can_read_act(db, user_row(), act_id):
        abort(404)
    return act


# --- presentation -----------------------------------------------------------------------------


def ddmmyyyy(value: Any) -> str:
    """A date (ISO string, date or datetime) as dd.mm.yyyy; '' for none; unparseable text as is."""
    try:
        return fmt_date(value[:10] if isinstance(value, str) else value)
    except (ValueError, TypeError):
        return str(value)


def ddmmyyyy_hhmm(value: Any) -> str:
    """A stored UTC timestamp as dd.mm.yyyy hh:mm, local time of Kazakhstan (tracker.dates)."""
    try:
        return fmt_datetime(value)
    except (ValueError, TypeError):
        return str(value or "")


def build_tree(units: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest units (in document order, each with `uid`/`parent_uid`) into a tree for the act page.

    Each node is the unit's row plus `children`; a unit whose parent is unknown is kept
    at the top level rather than dropped (the contract: nothing is lost).
    """
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for u in units:
        node = dict(u, children=[])
        nodes[u["uid"]] = node
        parent = nodes.get(u.get("parent_uid") or "")
        (parent["children"] if parent else roots).append(node)
    return roots


def _spans(text: str, needles: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, css class) of each needle's first case-insensitive match."""
    low = text.lower().replace("ё", "е")
    found: list[tuple[int, int, str]] = []
    for needle, cls in needles:
        n = (needle or "").strip().lower().replace("ё", "е")
        if len(n) < 3:
            continue
        start = low.find(n)
        while start != -1:
            end = start + len(n)
            if all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, cls))
                break
            start = low.find(n, start + 1)
    return sorted(found)


_URL_MARKER = "987654321987"  # stands for the id in urls_by_id; no table gets near such an id


def urls_by_id(endpoint: str, key: str, ids: Iterable[int], **values: Any) -> dict[int, str]:
    """{id: url_for(endpoint, **values, <key>=id)} for many ids at once.

    werkzeug builds each URL in ~10 µs, and the dashboard's queue and a page of search results
    draw 20-50 links to the same route: the URL is built once with a marker for the id, which
    is then replaced. Hand-written because url_for has no bulk form. `key` is an int parameter.
    """
    ids = [int(i) for i in ids]
    pattern = url_for(endpoint, **values, **{key: int(_URL_MARKER)}) if ids else ""
    if pattern.count(_URL_MARKER) != 1:  # the marker elsewhere too (a strange mount point): one by one
        return {i: url_for(endpoint, **values, **{key: i}) for i in ids}
    head, tail = pattern.split(_URL_MARKER)
    return {i: f"{head}{i}{tail}" for i in ids}


_nav = Memo(size=64)


def nav_links(role: str) -> Markup:
    """The menu of the pages a role may open, drawn once per role, language and mount point.

    Every page shows it, and its dozen links and words cost ~0.1 ms to draw each time
    (url_for, gettext); nothing in it belongs to one user.
    """
    from flask import render_template
    from flask_babel import get_locale

    key = (role, str(get_locale()), request.script_root)
    return _nav.get(key, lambda: Markup(render_template("_nav.html", role=role)))


def highlight(text: str, facts: dict[str, Any] | None) -> Markup:
    """The clause text, escaped, with its extracted deadlines, documents and fees marked.

    The extraction helper stores the exact wording of each deadline (`deadlines[].text`);
    documents are short names that may appear verbatim. Only exact (case/ё-insensitive)
    occurrences are marked; the fact chips beside the clause show everything.
    """
    text = text or ""
    if not facts:
        return Markup(escape(text))
    needles: list[tuple[str, str]] = []
    for d in facts.get("deadlines") or []:
        if isinstance(d, dict) and d.get("text"):
            needles.append((d["text"], "f-deadline"))
    for doc in facts.get("documents") or []:
        if isinstance(doc, str):
            needles.append((doc, "f-document"))
    for fee in facts.get("fee_texts") or []:
        if isinstance(fee, str):
            needles.append((fee, "f-fee"))
    out: list[str] = []
    pos = 0
    for start, end, cls in _spans(text, needles):
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="{cls}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def page_args() -> tuple[int, int]:
    """(page number from ?page=, page size) for paged lists."""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    return page, int(current_app.config.get("PAGE_SIZE", 100))


def url_for_page(page: int) -> str:
    args = dict(request.args)
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def today() -> date:
    """Today's date; tests and demos may pin it with the TODAY config key (a date)."""
    pinned = current_app.config.get("TODAY")
    return pinned if isinstance(pinned, date) else date.today()


def measures() -> list[dict[str, Any]]:
    """The proposed measures stored in the installation (tracker.measures), as dicts, by id."""
    from tracker.measures import list_measures

    return [dataclasses.asdict(m) for m in list_measures(get_db())]


def measure_name(m: dict[str, Any] | None, locale: str) -> str:
    """A measure's text in the interface language (Russian when there is no English)."""
    if not m:
        return ""
    return (m.get("en") if locale == "en" else None) or m.get("ru") or m.get("en") or ""


BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 22, 10, 260, 420


def progress_bars(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the progress chart (inline SVG, no JS library): one bar per agency.

    The filled part is `percent` (clauses with a verdict, from tracker.campaigns.progress);
    the text beside it gives acts finished of acts assigned. Overdue agencies get `late`.
    """
    bars = []
    for i, p in enumerate(rows):
        y = i * (BAR_HEIGHT + BAR_GAP)
        done = round(BAR_WIDTH * p["percent"] / 100)
        bars.append({"y": y, "ty": y + BAR_HEIGHT * 0.7, "done": done, "row": p})
    return {"bars": bars, "height": max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP),
            "label_width": LABEL_WIDTH, "bar_width": BAR_WIDTH, "bar_height": BAR_HEIGHT,
            "width": LABEL_WIDTH + BAR_WIDTH + 150}
