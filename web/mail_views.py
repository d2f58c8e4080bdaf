"""Mail in the app: the send log (with "possibly sent" entries and a resend action), the admin's
test message, previews of every report before it goes out, and a lawyer's "send report now".

Views stay thin: settings, rendering, sending and the log are tracker.mail, tracker.reports
and tracker.reminders. Sending from a request is synchronous: a handful of messages over one
SMTP connection, bounded by the SMTP timeout; the scheduled bulk goes through `remind`.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.core import ROLES_MANAGE, get_db, roles_required, today, user_row

bp = Blueprint("mail", __name__, url_prefix="/mail")

# The preview is the message's own HTML: inline styles, images as data: URIs, nothing else.
PREVIEW_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
               "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def _setup():
    """(MailSettings, Schedule) from `<instance>/mail.toml`, the environment and the app's MAIL config."""
    from tracker.mail import MailSettings, load_config
    from tracker.reminders import Schedule

    cfg = load_config(current_app.config.get("MAIL"),
                      path=Path(current_app.config["INSTANCE_DIR"]) / "mail.toml")
    return MailSettings.from_config(cfg), Schedule.from_config(cfg)


def _setup_or_flash():
    from tracker.mail import MailConfigError

    try:
        return _setup()
    except (MailConfigError, ValueError) as exc:
        flash(_("The mail settings are wrong: %(reason)s", reason=str(exc)), "error")
        return None


def _now() -> datetime | None:
    """The current time; tests may pin it with the NOW config key (a datetime)."""
    pinned = current_app.config.get("NOW")
    return pinned if isinstance(pinned, datetime) else None


def _flash_report(report: Any) -> None:
    if report.sent:
        flash(_("Messages sent: %(n)d.", n=len(report.sent)), "ok")
    problems = len(report.retry) + len(report.failed) + len(report.possibly_sent)
    if problems:
        flash(_("Not sent: %(n)d — see the send log. %(reason)s", n=problems,
                reason="; ".join(report.errors[:3])), "error")
    if not report.sent and not problems:
        flash(_("Nothing new to send: the same report was requested less than a minute ago."), "ok")


def _require_campaign(cid: int) -> dict[str, Any]:
    from tracker.campaigns import get_campaign

    campaign = get_campaign(get_db(), cid)
    if campaign is None:
        abort(404)
    return campaign


def _int_arg(name: str) -> int | None:
    raw = request.values.get(name, "")
    return int(raw) if raw.isdigit() else None


# --- the send log ---------------------------------------------------------------------------


@bp.get("")
@roles_required(*ROLES_MANAGE)
def log():
    from tracker.reminders import NEEDS_PERSON, STATUSES, counts, list_entries

    db = get_db()
    state = request.args.get("state") or None
    if state not in (*STATUSES, "attention", None):
        state = None
    wanted = NEEDS_PERSON if state == "attention" else ((state,) if state else None)
    setup = None
    settings_error = None
    try:
        setup = _setup()
    except ValueError as exc:  # MailConfigError is a ValueError
        settings_error = str(exc)
    schedule = setup[1] if setup else None
    return render_template(
        "mail/log.html", entries=list_entries(db, statuses=wanted, campaign_id=_int_arg("campaign"),
                                              now=_now(), schedule=schedule),
        counts=counts(db, now=_now()), state=state, statuses=STATUSES, needs_person=NEEDS_PERSON,
        settings=setup[0].describe() if setup else None, schedule=schedule, settings_error=settings_error)


@bp.get("/<int:log_id>")
@roles_required(*ROLES_MANAGE)
def entry(log_id: int):
    from tracker.reminders import NEEDS_PERSON, display_status, entry_events, get_entry

    db = get_db()
    row = get_entry(db, log_id)
    if row is None:
        abort(404)
    return render_template("mail/entry.html", entry=row, state=display_status(row, _now()),
                           events=entry_events(db, log_id), needs_person=NEEDS_PERSON)


@bp.post("/<int:log_id>/resend")
@roles_required(*ROLES_MANAGE)
def resend(log_id: int):
    """A person checked with the recipient and decided the message should go (again)."""
    from tracker.reminders import as_aware, deliver
    from tracker.reminders import resend as reopen

    setup = _setup_or_flash()
    if setup is None:
        return redirect(url_for("mail.entry", log_id=log_id))
    db = get_db()
    try:
        reopen(db, log_id, user=user_row(), now=_now())
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("mail.entry", log_id=log_id))
    _flash_report(deliver(db, setup[0], setup[1], as_aware(_now()), only_ids=[log_id]))
    return redirect(url_for("mail.entry", log_id=log_id))


@bp.post("/test")
@roles_required("admin")
def test_message():
    """The admin's "send a test message": proves host, port, TLS, login and sender."""
    from tracker.reminders import send_test_message

    setup = _setup_or_flash()
    if setup is None:
        return redirect(url_for("mail.log"))
    to = (request.form.get("to") or user_row().get("email") or "").strip()
    lang = request.form.get("lang") or None
    try:
        row = send_test_message(get_db(), setup[0], to, user=user_row(), lang=lang, now=_now())
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("mail.log"))
    if row["status"] == "sent":
        flash(_("Test message sent to %(to)s.", to=row["recipient"]), "ok")
    else:
        flash(_("The test message was not sent: %(reason)s", reason=row["last_error"] or row["status"]), "error")
    return redirect(url_for("mail.log"))


# --- a campaign's reports: previews and "send now" ------------------------------------------


@bp.get("/campaigns/<int:cid>")
@roles_required(*ROLES_MANAGE)
def campaign(cid: int):
    from tracker.campaigns import progress
    from tracker.reminders import list_entries

    db = get_db()
    c = _require_campaign(cid)
    return render_template("mail/campaign.html", campaign=c, agencies=progress(db, cid, today()),
                           entries=list_entries(db, campaign_id=cid, limit=50, now=_now()))


def _rendered(cid: int):
    """The report the query string asks for: audience=agency&agency_id=N or audience=ministry."""
    from tracker.reports import KINDS, agency_report, mail_lang, ministry_report

    db = get_db()
    _require_campaign(cid)
    try:
        base_url = _setup()[0].base_url
    except ValueError:  # wrong settings are flashed by the page; the preview still shows
        base_url = request.host_url.rstrip("/")
    lang = mail_lang(request.args.get("lang"))
    kind = request.args.get("kind", "manual")
    if kind not in KINDS or kind == "test":
        kind = "manual"
    audience = request.args.get("audience", "ministry")
    if audience == "agency":
        agency_id = _int_arg("agency_id")
        if agency_id is None:
            abort(404)
        try:
            return audience, agency_id, agency_report(db, cid, agency_id, today=today(), kind=kind, lang=lang,
                                                      base_url=base_url)
        except ValueError:
            abort(404)
    return "ministry", None, ministry_report(db, cid, today=today(), kind=kind, lang=lang, base_url=base_url)


@bp.get("/campaigns/<int:cid>/preview")
@roles_required(*ROLES_MANAGE)
def preview(cid: int):
    from tracker.reminders import agency_recipients, ministry_recipients

    audience, agency_id, rendered = _rendered(cid)
    setup = _setup_or_flash()
    recipients = []
    if setup:
        db = get_db()
        recipients = (agency_recipients(db, agency_id, setup[0]) if audience == "agency"
                      else ministry_recipients(db, setup[0]))
    return render_template("mail/preview.html", campaign=_require_campaign(cid), audience=audience,
                           agency_id=agency_id, report=rendered, recipients=recipients,
                           args=_preview_args())


def _preview_args() -> dict[str, str]:
    """The query arguments a preview passes on to its frame and attachments, and nothing else:
    url_for would also take `_external`, `_scheme` or `cid` from a crafted link."""
    return {k: v for k, v in request.args.items() if k in ("audience", "agency_id", "lang", "kind")}


@bp.get("/campaigns/<int:cid>/preview.html")
@roles_required(*ROLES_MANAGE)
def preview_html(cid: int):
    """The HTML part exactly as mailed, with the chart inlined; shown in a sandboxed frame."""
    _audience, _agency_id, rendered = _rendered(cid)
    response = Response(rendered.preview_html(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/campaigns/<int:cid>/preview/<path:filename>")
@roles_required(*ROLES_MANAGE)
def preview_attachment(cid: int, filename: str):
    _audience, _agency_id, rendered = _rendered(cid)
    for att in rendered.attachments:
        if att.filename == filename:
            data = att.content.encode("utf-8") if isinstance(att.content, str) else att.content
            return Response(data, mimetype=att.mimetype,
                            headers={"Content-Disposition": f'attachment; filename="{att.filename}"'})
    abort(404)


@bp.post("/campaigns/<int:cid>/send")
@roles_required(*ROLES_MANAGE)
def send(cid: int):
    """A lawyer's "send report now": to every agency, to one agency, or to the ministry."""
    from tracker.reminders import send_now

    _require_campaign(cid)
    setup = _setup_or_flash()
    if setup is None:
        return redirect(url_for("mail.campaign", cid=cid))
    audience = request.form.get("audience", "")
    try:
        report = send_now(get_db(), setup[0], setup[1], cid, audience=audience, agency_id=_int_arg("agency_id"),
                          user=user_row(), now=_now())
    except (ValueError, PermissionError) as exc:
        flash(str(exc), "error")
    else:
        _flash_report(report)
    return redirect(url_for("mail.campaign", cid=cid))
