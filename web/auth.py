"""Logging in and out, the first administrator, and the language switch."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from web.core import User, get_db
from web.i18n import LANGUAGES
from web.messages import user_message

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: `next=//evil.example` or `https://...` must not redirect away."""
    if not target:
        return default
    parts = urlsplit(target)
    # browsers read "/\\host" as "//host": refuse backslashes and control characters outright
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return default
    return target


def _fresh_session() -> None:
    """Empty the session (nothing carried across a login or logout) but keep the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _current_lang() -> str:
    return session.get("lang") or "ru"


def _no_users() -> bool:
    from tracker.users import has_users

    return not has_users(get_db())


@bp.route("/login", methods=["GET", "POST"])
def login():
    from tracker.logins import begin_attempt, record_success
    from tracker.users import authenticate

    if _no_users():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    error = None
    email = ""
    status = 200
    if request.method == "POST":
        db, client = get_db(), request.remote_addr or ""
        email = request.form.get("email", "").strip()[:320]
        wait = begin_attempt(db, email, client)  # counted as failed until the password is right
        if wait:  # the password is not even looked at: guessing gets no answer while blocked
            error = _("Too many failed attempts. Try again in %(n)d min.", n=math.ceil(wait / 60))
            status = 429
        else:
            row = authenticate(db, email, request.form.get("password", ""))
            if row is None or not row.get("active", True):
                error, status = _("Wrong e-mail or password."), 401
            else:
                record_success(db, email, client)
                _fresh_session()
                login_user(User(row))
                return redirect(_safe_next(request.args.get("next"), url_for("dashboard.index")))
    return render_template("auth/login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    logout_user()
    _fresh_session()
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first administrator; only while the database has no user at all."""
    from tracker.users import create_user

    if not _no_users():
        abort(404)
    error = None
    form = request.form
    if request.method == "POST":
        if len(form.get("password", "")) < 8:
            error = _("The password must have at least 8 characters.")
        elif form.get("password") != form.get("password2"):
            error = _("The passwords do not match.")
        else:
            try:
                uid = create_user(get_db(), form.get("email", ""), form["password"], "admin",
                                  name=form.get("name", "").strip(), lang=_current_lang())
            except ValueError as exc:
                error = user_message(exc)
            else:
                from tracker.users import get_user

                _fresh_session()
                login_user(User(get_user(get_db(), uid)))
                flash(_("Administrator created. Welcome!"), "ok")
                return redirect(url_for("dashboard.index"))
    return render_template("auth/setup.html", error=error, form=form)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language; the choice lives in the session (login keeps it)."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.args.get("next"), url_for("dashboard.index")))
