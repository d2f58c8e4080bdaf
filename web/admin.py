"""Administration: users (roles, agency, password, active) and agencies. Admins only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.core import get_db, roles_required, user_row
from web.messages import user_message

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _agency_id(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@bp.get("/users")
@roles_required("admin")
def users():
    from tracker.users import ROLES, list_agencies, list_users

    db = get_db()
    return render_template("admin/users.html", users=list_users(db), agencies=list_agencies(db),
                           roles=ROLES, form={})


@bp.post("/users")
@roles_required("admin")
def create_user():
    from tracker.users import ROLES, create_user, list_agencies, list_users

    db = get_db()
    form = request.form
    role = form.get("role", "")
    try:
        create_user(db, form.get("email", ""), form.get("password", ""), role,
                    agency_id=_agency_id(form.get("agency_id")) if role == "agency" else None,
                    name=form.get("name", "").strip(), lang=form.get("lang", "ru"))
    except ValueError as exc:
        flash(user_message(exc), "error")
        return render_template("admin/users.html", users=list_users(db), agencies=list_agencies(db),
                               roles=ROLES, form=form), 400
    flash(_("User %(email)s created.", email=form.get("email", "").strip()), "ok")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    from tracker.db import write_transaction
    from tracker.users import ROLES, get_user, list_agencies, set_password, update_user

    db = get_db()
    user = get_user(db, user_id)
    if user is None:
        abort(404)
    if request.method == "POST":
        form = request.form
        try:
            role = form.get("role", user["role"])
            if user_id == user_row()["id"] and (role != "admin" or not form.get("active")):
                raise ValueError(_("You cannot take away your own administrator rights."))
            # all or nothing: a refused role change must not leave a new password behind
            with write_transaction(db):
                update_user(db, user_id, name=form.get("name", user["name"]), role=role,
                            agency_id=_agency_id(form.get("agency_id")) if role == "agency" else None,
                            lang=form.get("lang") or None, active=bool(form.get("active")), by=user_row())
                if form.get("password"):
                    set_password(db, user_id, form["password"])
        except ValueError as exc:
            flash(user_message(exc), "error")
        else:
            flash(_("Saved."), "ok")
            return redirect(url_for("admin.users"))
    return render_template("admin/user.html", user=get_user(db, user_id), roles=ROLES,
                           agencies=list_agencies(db))


@bp.get("/agencies")
@roles_required("admin")
def agencies():
    from tracker.users import list_agencies

    return render_template("admin/agencies.html", agencies=list_agencies(get_db()))


@bp.post("/agencies")
@roles_required("admin")
def create_agency():
    from tracker.users import create_agency

    try:
        create_agency(get_db(), request.form.get("name", ""), email=request.form.get("email") or None)
    except ValueError as exc:
        flash(user_message(exc), "error")
    else:
        flash(_("Agency added."), "ok")
    return redirect(url_for("admin.agencies"))
