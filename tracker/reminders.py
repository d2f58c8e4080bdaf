"""When reports go out, to whom, and the send log that makes every message go out at most once.

`run_due` (what `python -m tracker remind` does, safe to run from cron every few
minutes) works in three steps:

1. plan: which messages are due now — reminders at `offsets` days before the
   deadline (7, 3 and 1 by default) and a daily overdue notice to every agency with
   unfinished acts, a weekly summary to the ministry;
2. claim: each due message gets a row in `mail_log` under a unique key
   (campaign, kind, audience, recipient, period), inserted with INSERT OR IGNORE in
   one write transaction, so overlapping runs, or a run repeated a minute later,
   plan it once;
3. deliver: a row is moved to `sending` (a conditional UPDATE: only one run can win
   it) and its attempt counted *before* the SMTP dialogue starts; the outcome is
   written after. A run killed between the two leaves the row in `sending`; once that
   is older than the lease it reads as `possibly_sent` and is never sent again by the
   machine, only when a person presses "resend". The same holds when the connection
   breaks after the message body was handed to the server (tracker.mail.UnknownOutcome).

Failures: a temporary one (server down, 4xx) sets `retry` with an exponential
backoff in `next_attempt_at`, which later runs honour; a server-level one also stops
the current run (the other messages would fail the same way and simply stay pending);
a permanent one (5xx for that address) marks only that message `failed`. Every step
is an event in `mail_events`, which the web app shows.

Times: the log keeps UTC; "today" and the hour from which the day's messages go out
are the server's local time, like the rest of the app.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlite_utils

from tracker.campaigns import days_left, get_campaign, list_campaigns, progress
from tracker.db import write_transaction
from tracker.mail import MailError, MailSettings, SmtpSession, UnknownOutcome, build_message
from tracker.reports import Rendered, agency_report, mail_lang, ministry_report, render_test_message

log = logging.getLogger("norma.mail")
log.addHandler(logging.NullHandler())  # the app or the CLI decides where these go

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STATUSES = ("pending", "sending", "retry", "sent", "failed", "possibly_sent")
OPEN = ("pending", "retry")          # may still be sent by a run
NEEDS_PERSON = ("possibly_sent", "failed")  # a person decides: resend or leave
WEEKLY_CATCH_UP_DAYS = 3             # a weekly summary missed on its day still goes out this long after


@dataclass(frozen=True)
class Schedule:
    """When messages are due and how failures are retried."""

    offsets: tuple[int, ...] = (7, 3, 1)   # reminders this many days before the deadline
    remind_hour: int = 8                   # local hour from which a day's messages are planned
    weekly_day: int = 0                    # 0 = Monday: the ministry's summary
    overdue_days: int = 60                 # daily overdue notices stop this long after the deadline
    backoff_minutes: float = 5.0           # first retry after this; doubled each time
    backoff_max_minutes: float = 240.0
    max_attempts: int = 8                  # then the message is `failed` and shown for a person
    lease_minutes: float = 15.0            # a `sending` row older than this is `possibly_sent`

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Schedule:
        """From the settings of tracker.mail.load_config (remind_offsets, remind_hour, weekly_day, ...)."""
        kw: dict[str, Any] = {}
        raw = cfg.get("remind_offsets")
        if raw not in (None, ""):
            items = raw.replace(";", ",").split(",") if isinstance(raw, str) else raw
            try:
                offsets = sorted({int(x) for x in items if str(x).strip()}, reverse=True)
            except ValueError as exc:
                raise ValueError(f"remind_offsets must be whole days, e.g. 7,3,1 ({exc})") from exc
            if any(o < 0 for o in offsets):
                raise ValueError("remind_offsets must not be negative")
            kw["offsets"] = tuple(offsets)
        if cfg.get("remind_hour") not in (None, ""):
            hour = int(cfg["remind_hour"])
            if not 0 <= hour <= 23:
                raise ValueError("remind_hour must be 0..23")
            kw["remind_hour"] = hour
        day = cfg.get("weekly_day")
        if day not in (None, ""):
            text = str(day).strip().lower()
            if text.isdigit():
                kw["weekly_day"] = int(text) % 7
            elif text[:3] in [d[:3] for d in WEEKDAYS]:
                kw["weekly_day"] = [d[:3] for d in WEEKDAYS].index(text[:3])
            else:
                raise ValueError(f"weekly_day must be a weekday name or 0..6, not {day!r}")
        for name in ("overdue_days", "max_attempts"):
            if cfg.get(name) not in (None, ""):
                kw[name] = int(cfg[name])
        for name in ("backoff_minutes", "backoff_max_minutes", "lease_minutes"):
            if cfg.get(name) not in (None, ""):
                kw[name] = float(cfg[name])
        return cls(**kw)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before attempt `attempts + 1`: 5, 10, 20, 40 ... minutes, capped."""
        minutes = min(self.backoff_minutes * 2 ** max(0, attempts - 1), self.backoff_max_minutes)
        return timedelta(minutes=minutes)


# --- time -----------------------------------------------------------------------------------


def as_aware(now: datetime | None = None) -> datetime:
    """`now` as an aware datetime: the current time if None; a naive one is the server's local time."""
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.astimezone()


def parse_now(text: str) -> datetime:
    """`--now` from the command line: ISO date or date-time (naive = local time)."""
    try:
        return as_aware(datetime.fromisoformat(text.strip()))
    except ValueError as exc:
        raise ValueError(f"not an ISO date-time: {text!r} (e.g. 2025-03-03T09:00)") from exc


def _utc(now: datetime) -> str:
    return as_aware(now).astimezone(UTC).isoformat(timespec="seconds")


def _local(now: datetime) -> datetime:
    return as_aware(now).astimezone()


# --- who receives what ----------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One message that should exist: the send log's unique key is built from it."""

    campaign_id: int | None
    kind: str                  # reminder | overdue | weekly | manual | test
    audience: str              # agency | ministry | test
    recipient: str
    period: str
    agency_id: int | None = None
    user_id: int | None = None
    lang: str = "ru"

    @property
    def key(self) -> str:
        who = f"agency{self.agency_id}" if self.audience == "agency" else self.audience
        return f"{self.campaign_id or '-'}:{self.kind}:{who}:{self.recipient}:{self.period}"


def _active_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    from tracker.users import list_users

    return [u for u in list_users(db) if u["active"]]


def agency_recipients(db: sqlite_utils.Database, agency_id: int, settings: MailSettings,
                      users: list[dict[str, Any]] | None = None) -> list[tuple[str, int | None, str]]:
    """(address, user id or None, language) of an agency: its own address and its active users."""
    from tracker.users import get_agency

    agency = get_agency(db, agency_id)
    out: dict[str, tuple[str, int | None, str]] = {}
    if agency and agency.get("email"):
        out[agency["email"].casefold()] = (agency["email"].casefold(), None, settings.lang)
    for u in users if users is not None else _active_users(db):
        if u["role"] == "agency" and u["agency_id"] == agency_id and u["email"]:
            out[u["email"].casefold()] = (u["email"].casefold(), u["id"], mail_lang(u["lang"]))
    return list(out.values())


def ministry_recipients(db: sqlite_utils.Database, settings: MailSettings,
                        users: list[dict[str, Any]] | None = None) -> list[tuple[str, int | None, str]]:
    """The ministry: every active lawyer, plus the extra addresses of the `ministry_emails` setting."""
    out: dict[str, tuple[str, int | None, str]] = {}
    for address in settings.ministry_emails:
        out[address.casefold()] = (address.casefold(), None, settings.lang)
    for u in users if users is not None else _active_users(db):
        if u["role"] == "lawyer" and u["email"]:
            out[u["email"].casefold()] = (u["email"].casefold(), u["id"], mail_lang(u["lang"]))
    return list(out.values())


def _agency_dues(db: sqlite_utils.Database, settings: MailSettings, users: list[dict[str, Any]], cid: int,
                 agency_ids: Iterable[int], kind: str, period: str) -> list[Due]:
    return [Due(cid, kind, "agency", address, period, agency_id=aid, user_id=uid, lang=lang)
            for aid in agency_ids
            for address, uid, lang in agency_recipients(db, aid, settings, users)]


def _ministry_dues(db: sqlite_utils.Database, settings: MailSettings, users: list[dict[str, Any]], cid: int,
                   kind: str, period: str) -> list[Due]:
    return [Due(cid, kind, "ministry", address, period, user_id=uid, lang=lang)
            for address, uid, lang in ministry_recipients(db, settings, users)]


def reminder_offset(schedule: Schedule, left: int) -> int | None:
    """The reminder due with `left` days to go: the smallest offset not below it (None if none).

    With 7, 3, 1: 7..4 days left -> the 7-day reminder, 3..2 -> 3, 1..0 -> 1. A reminder
    missed on its day (server off) still goes out, once, until the next one is due.
    """
    if left < 0:
        return None
    candidates = [o for o in schedule.offsets if o >= left]
    return min(candidates) if candidates else None


def plan(db: sqlite_utils.Database, settings: MailSettings, schedule: Schedule, now: datetime) -> list[Due]:
    """Every scheduled message due at `now` (already sent ones included: claiming drops them)."""
    local = _local(now)
    if local.hour < schedule.remind_hour:
        return []
    today = local.date()
    users = _active_users(db)
    dues: list[Due] = []
    for campaign in list_campaigns(db):
        cid = campaign["id"]
        if not campaign.get("acts") or today < campaign["instruction_date"]:
            continue
        rows = progress(db, cid, today)
        unfinished = [r["agency_id"] for r in rows if r["acts_reviewed"] < r["acts"]]
        left = days_left(campaign, today)
        deadline = campaign["deadline"].isoformat()
        offset = reminder_offset(schedule, left)
        if offset is not None and unfinished:
            dues += _agency_dues(db, settings, users, cid, unfinished, "reminder", f"{deadline}/d{offset}")
        if left < 0 and -left <= schedule.overdue_days and unfinished:
            dues += _agency_dues(db, settings, users, cid, unfinished, "overdue", today.isoformat())
        since_weekly_day = (today.weekday() - schedule.weekly_day) % 7
        active = unfinished or left >= 0
        if active and -left <= schedule.overdue_days and since_weekly_day < WEEKLY_CATCH_UP_DAYS:
            week_of = (today - timedelta(days=since_weekly_day)).isoformat()
            dues += _ministry_dues(db, settings, users, cid, "weekly", f"week-{week_of}")
    return dues


# --- the send log ---------------------------------------------------------------------------


def _event(db: sqlite_utils.Database, log_id: int, now: datetime, event: str, detail: str = "",
           user_id: int | None = None) -> None:
    db.execute("INSERT INTO mail_events(log_id, at, event, detail, user_id) VALUES (?,?,?,?,?)",
               [log_id, _utc(now), event, detail, user_id])


def claim(db: sqlite_utils.Database, dues: Iterable[Due], now: datetime, *,
          requested_by: int | None = None) -> list[int]:
    """Record each due message once; return the ids of the rows this call created."""
    created = []
    stamp = _utc(now)
    with write_transaction(db):
        for d in dues:
            cursor = db.execute(
                "INSERT OR IGNORE INTO mail_log(key, campaign_id, kind, audience, agency_id, user_id, recipient,"
                " lang, period, status, due_at, requested_by, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,'pending',?,?,?)",
                [d.key, d.campaign_id, d.kind, d.audience, d.agency_id, d.user_id, d.recipient, d.lang,
                 d.period, stamp, requested_by, stamp])
            if cursor.rowcount == 1:
                created.append(int(cursor.lastrowid))
                _event(db, int(cursor.lastrowid), now, "due", d.key, requested_by)
    return created


def expire_stale(db: sqlite_utils.Database, schedule: Schedule, now: datetime) -> list[int]:
    """Rows left in `sending` longer than the lease (their run died): mark them `possibly_sent`."""
    cutoff = _utc(as_aware(now) - timedelta(minutes=schedule.lease_minutes))
    with write_transaction(db):
        ids = [r[0] for r in db.execute(
            "SELECT id FROM mail_log WHERE status = 'sending' AND claimed_at < ?", [cutoff]).fetchall()]
        for log_id in ids:
            db.execute("UPDATE mail_log SET status = 'possibly_sent', last_error = ? WHERE id = ?",
                       ["the sending run stopped before recording the outcome", log_id])
            _event(db, log_id, now, "possibly_sent",
                   "the run that was sending it stopped before recording the outcome; "
                   "check with the recipient, then resend if needed")
            log.warning("mail %s: possibly sent (its run stopped mid-way); not resent automatically", log_id)
    return ids


def _begin_attempt(db: sqlite_utils.Database, log_id: int, now: datetime, run: str) -> dict[str, Any] | None:
    """Move one open row to `sending` and count the attempt; None when another run has it."""
    stamp = _utc(now)
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE mail_log SET status = 'sending', attempts = attempts + 1, claimed_at = ?, claimed_by = ?"
            " WHERE id = ? AND status IN ('pending', 'retry') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            [stamp, run, log_id, stamp])
        if cursor.rowcount != 1:
            return None
    return get_entry(db, log_id)


def _mark_sent(db: sqlite_utils.Database, row: dict[str, Any], now: datetime, message_id: str,
               subject: str) -> None:
    """Record success. A crash before this leaves the row `sending` -> later `possibly_sent`."""
    late = as_aware(now) - datetime.fromisoformat(row["due_at"]) >= timedelta(minutes=1)
    detail = (f"sent late: {_delay_text(row['due_at'], now)} after it was due, attempt {row['attempts']}"
              if late else "sent")
    with write_transaction(db):
        db.execute("UPDATE mail_log SET status = 'sent', sent_at = ?, message_id = ?, subject = ?,"
                   " next_attempt_at = NULL WHERE id = ?", [_utc(now), message_id, subject, row["id"]])
        _event(db, row["id"], now, "sent", detail)


def _delay_text(due_at: str, now: datetime) -> str:
    minutes = max(0, int((as_aware(now) - datetime.fromisoformat(due_at)).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _mark_failure(db: sqlite_utils.Database, row: dict[str, Any], now: datetime, status: str, error: str, *,
                  next_attempt: datetime | None = None, subject: str | None = None) -> None:
    with write_transaction(db):
        db.execute("UPDATE mail_log SET status = ?, last_error = ?, next_attempt_at = ?,"
                   " subject = COALESCE(?, subject) WHERE id = ?",
                   [status, error, _utc(next_attempt) if next_attempt else None, subject, row["id"]])
        detail = f"attempt {row['attempts']}: {error}"
        if next_attempt:
            detail += f"; next attempt after {_utc(next_attempt)}"
        _event(db, row["id"], now, status, detail)


def _postpone(db: sqlite_utils.Database, ids: list[int], now: datetime, until: datetime, error: str) -> list[int]:
    """The server is unusable: the rest of this run waits too (no attempt counted), visibly so."""
    done = []
    with write_transaction(db):
        for log_id in ids:
            cursor = db.execute(
                "UPDATE mail_log SET status = 'retry', next_attempt_at = ?, last_error = ?"
                " WHERE id = ? AND status IN ('pending', 'retry')", [_utc(until), f"not attempted: {error}", log_id])
            if cursor.rowcount == 1:
                _event(db, log_id, now, "retry", f"not attempted, the server is unusable: {error}; "
                                                 f"next attempt after {_utc(until)}")
                done.append(log_id)
    return done


# --- delivering ---------------------------------------------------------------------------


@dataclass
class RunReport:
    """What a run did; the CLI prints it and the web app flashes it."""

    planned: int = 0                 # new rows claimed by this run
    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    possibly_sent: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None       # why the run stopped early (server unusable)

    def summary(self) -> str:
        text = (f"{self.planned} newly due, {len(self.sent)} sent, {len(self.retry)} to retry, "
                f"{len(self.failed)} failed, {len(self.possibly_sent)} possibly sent")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def render_entry(db: sqlite_utils.Database, settings: MailSettings, row: Mapping[str, Any],
                 today: date, *, attach: bool = True) -> Rendered:
    """The message of a send-log row, with today's numbers (a late retry says how things are now)."""
    if row["kind"] == "test":
        return render_test_message(settings, lang=row["lang"])
    if row["audience"] == "agency":
        return agency_report(db, row["campaign_id"], row["agency_id"], today=today, kind=row["kind"],
                             lang=row["lang"], base_url=settings.base_url)
    return ministry_report(db, row["campaign_id"], today=today, kind=row["kind"], lang=row["lang"],
                           base_url=settings.base_url, attach=attach)


def _run_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def deliver(db: sqlite_utils.Database, settings: MailSettings, schedule: Schedule, now: datetime, *,
            only_ids: Iterable[int] | None = None, report: RunReport | None = None) -> RunReport:
    """Send every open row whose time has come (or only `only_ids`), one attempt each."""
    report = report or RunReport()
    stamp = _utc(now)
    sql = ("SELECT id FROM mail_log WHERE status IN ('pending', 'retry')"
           " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)")
    params: list[Any] = [stamp]
    if only_ids is not None:
        ids = [int(i) for i in only_ids]
        if not ids:
            return report
        sql += f" AND id IN ({','.join('?' * len(ids))})"
        params += ids
    todo = [r[0] for r in db.execute(sql + " ORDER BY id", params).fetchall()]
    if not todo:
        return report
    run = _run_id()
    today = _local(now).date()
    cache: dict[tuple, Rendered] = {}  # one rendering (and one XLSX) per report, not per recipient
    with SmtpSession(settings) as session:
        for log_id in todo:
            row = _begin_attempt(db, log_id, now, run)
            if row is None:
                continue  # another run took it
            try:
                ck = (row["kind"], row["audience"], row["campaign_id"], row["agency_id"], row["lang"])
                if ck not in cache:
                    cache[ck] = render_entry(db, settings, row, today)
                rendered = cache[ck]
                msg = build_message(settings, to=row["recipient"], subject=rendered.subject, text=rendered.text,
                                    html=rendered.html, attachments=rendered.attachments, inline=rendered.inline,
                                    headers={"X-Norma-Key": row["key"]})
            except Exception as exc:  # noqa: BLE001 - a broken report must not stop the others
                error = f"cannot build the message: {type(exc).__name__}: {exc}"
                log.exception("mail %s: %s", log_id, error)
                _mark_failure(db, row, now, "failed", error)
                report.failed.append(log_id)
                report.errors.append(f"{row['recipient']}: {error}")
                continue
            try:
                session.send(msg)
            except UnknownOutcome as exc:
                log.error("mail %s to %s: %s", log_id, row["recipient"], exc)
                _mark_failure(db, row, now, "possibly_sent", str(exc), subject=rendered.subject)
                report.possibly_sent.append(log_id)
                report.errors.append(f"{row['recipient']}: {exc}")
                continue
            except MailError as exc:
                retry = exc.temporary and row["attempts"] < _max_attempts(schedule, row)
                log.warning("mail %s to %s: %s%s", log_id, row["recipient"], exc, " (will retry)" if retry else "")
                if retry:
                    _mark_failure(db, row, now, "retry", str(exc), subject=rendered.subject,
                                  next_attempt=as_aware(now) + schedule.backoff(row["attempts"]))
                    report.retry.append(log_id)
                else:
                    _mark_failure(db, row, now, "failed", str(exc), subject=rendered.subject)
                    report.failed.append(log_id)
                report.errors.append(f"{row['recipient']}: {exc}")
                if exc.server_level:
                    report.stopped = str(exc)
                    rest = todo[todo.index(log_id) + 1:]
                    report.retry += _postpone(db, rest, now, as_aware(now) + schedule.backoff(1), str(exc))
                    break
                continue
            _mark_sent(db, row, now, str(msg["Message-ID"]), rendered.subject)
            report.sent.append(log_id)
            log.info("mail %s sent to %s (%s)", log_id, row["recipient"], row["key"])
    return report


def _max_attempts(schedule: Schedule, row: Mapping[str, Any]) -> int:
    # The admin's test message reports its outcome at once; retrying it later helps nobody.
    return 1 if row["kind"] == "test" else schedule.max_attempts


def run_due(db: sqlite_utils.Database, settings: MailSettings, schedule: Schedule,
            now: datetime | None = None) -> RunReport:
    """Everything `python -m tracker remind` does: expire dead claims, plan, claim, deliver."""
    now = as_aware(now)
    report = RunReport()
    report.possibly_sent += expire_stale(db, schedule, now)
    report.planned = len(claim(db, plan(db, settings, schedule, now), now))
    return deliver(db, settings, schedule, now, report=report)


# --- a person's actions: send now, resend, test ---------------------------------------------


def _minute(now: datetime) -> str:
    # Presses of the same button within one minute are one request (a double click sends once).
    return "at-" + as_aware(now).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def send_now(db: sqlite_utils.Database, settings: MailSettings, schedule: Schedule, cid: int, *,
             audience: str, user: Mapping[str, Any], agency_id: int | None = None,
             now: datetime | None = None) -> RunReport:
    """A lawyer's "send report now": `agencies` (each its own), one `agency`, or the `ministry`.

    PermissionError unless the user may manage campaigns; ValueError for an unknown
    campaign, audience or agency.
    """
    from tracker.access import can_manage

    if not can_manage(dict(user)):
        raise PermissionError("only an administrator or a lawyer may send reports")
    now = as_aware(now)
    campaign = get_campaign(db, cid)
    if campaign is None:
        raise ValueError(f"no campaign with id {cid}")
    users = _active_users(db)
    period = _minute(now)
    if audience == "ministry":
        dues = _ministry_dues(db, settings, users, cid, "manual", period)
    elif audience in ("agencies", "agency"):
        agencies = [r["agency_id"] for r in progress(db, cid, _local(now).date())]
        if audience == "agency":
            if agency_id not in agencies:
                raise ValueError(f"agency {agency_id} has no acts in campaign {cid}")
            agencies = [agency_id]
        dues = _agency_dues(db, settings, users, cid, agencies, "manual", period)
    else:
        raise ValueError(f"unknown audience {audience!r}: agencies, agency or ministry")
    if not dues:
        raise ValueError("nobody to send to: no recipient has an e-mail address")
    created = claim(db, dues, now, requested_by=user.get("id"))
    report = RunReport(planned=len(created))
    return deliver(db, settings, schedule, now, only_ids=created, report=report)


def send_test_message(db: sqlite_utils.Database, settings: MailSettings, to: str, *,
                      user: Mapping[str, Any] | None = None, lang: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """The admin's test message, sent at once and logged; returns its log row (status, last_error)."""
    now = as_aware(now)
    address = (to or "").strip()
    if "@" not in address:
        raise ValueError(f"not an e-mail address: {to!r}")
    due = Due(None, "test", "test", address.casefold(), _minute(now) + "-" + uuid.uuid4().hex[:6],
              lang=mail_lang(lang or settings.lang))
    (log_id,) = claim(db, [due], now, requested_by=(user or {}).get("id"))
    deliver(db, settings, Schedule(), now, only_ids=[log_id])
    return get_entry(db, log_id)


def resend(db: sqlite_utils.Database, log_id: int, *, user: Mapping[str, Any],
           now: datetime | None = None) -> dict[str, Any]:
    """A person decided that a possibly sent or failed message should go (again): reopen it.

    The caller then delivers it (`deliver(only_ids=[log_id])`) or leaves it to the next run.
    """
    from tracker.access import can_manage

    if not can_manage(dict(user)):
        raise PermissionError("only an administrator or a lawyer may resend messages")
    now = as_aware(now)
    with write_transaction(db):
        row = get_entry(db, log_id)
        if row is None:
            raise ValueError(f"no message with id {log_id}")
        state = display_status(row, now)
        if state not in NEEDS_PERSON:
            raise ValueError(f"message {log_id} is {state}; only possibly sent or failed ones are resent")
        db.execute("UPDATE mail_log SET status = 'pending', next_attempt_at = NULL, requested_by = ?"
                   " WHERE id = ?", [user.get("id"), log_id])
        _event(db, log_id, now, "resend", f"requested by {user.get('email') or user.get('id')}", user.get("id"))
    return get_entry(db, log_id)


# --- reading the log ------------------------------------------------------------------------


def get_entry(db: sqlite_utils.Database, log_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM mail_log WHERE id = ?", [log_id]))
    return rows[0] if rows else None


def display_status(row: Mapping[str, Any], now: datetime | None = None,
                   schedule: Schedule | None = None) -> str:
    """The status a person should see: a `sending` row past its lease is `possibly_sent`."""
    if row["status"] == "sending" and row.get("claimed_at"):
        lease = timedelta(minutes=(schedule or Schedule()).lease_minutes)
        if datetime.fromisoformat(row["claimed_at"]) < as_aware(now) - lease:
            return "possibly_sent"
    return row["status"]


def list_entries(db: sqlite_utils.Database, *, campaign_id: int | None = None,
                 statuses: Iterable[str] | None = None, limit: int = 200,
                 now: datetime | None = None, schedule: Schedule | None = None) -> list[dict[str, Any]]:
    """The send log, newest first, each row with `state` (display_status), agency and campaign names."""
    where, params = [], []
    if campaign_id is not None:
        where.append("l.campaign_id = ?")
        params.append(campaign_id)
    sql = ("SELECT l.*, g.name AS agency, c.name AS campaign, u.email AS requested_by_email FROM mail_log l"
           " LEFT JOIN agencies g ON g.id = l.agency_id LEFT JOIN campaigns c ON c.id = l.campaign_id"
           " LEFT JOIN users u ON u.id = l.requested_by"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY l.id DESC")
    wanted = set(statuses) if statuses else None
    out = []
    for row in db.query(sql, params):
        row["state"] = display_status(row, now, schedule)
        if wanted is None or row["state"] in wanted:
            out.append(row)
            if len(out) >= limit:
                break
    return out


def entry_events(db: sqlite_utils.Database, log_id: int) -> list[dict[str, Any]]:
    return list(db.query("SELECT e.*, u.email AS user_email FROM mail_events e LEFT JOIN users u"
                         " ON u.id = e.user_id WHERE e.log_id = ? ORDER BY e.id", [log_id]))


def counts(db: sqlite_utils.Database, *, now: datetime | None = None) -> dict[str, int]:
    """How many messages are in each displayed state (the app's "needs attention" badge)."""
    out = dict.fromkeys(STATUSES, 0)
    for row in db.query("SELECT status, claimed_at FROM mail_log WHERE status != 'sent'"):
        out[display_status(row, now)] += 1
    out["sent"] = db.execute("SELECT COUNT(*) FROM mail_log WHERE status = 'sent'").fetchone()[0]
    return out
