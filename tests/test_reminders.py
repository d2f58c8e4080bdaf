"""The schedule and the send log: what `remind` sends, to whom, and never twice.

The campaign of mail_server.make_world runs from 03.03.2025 to 03.04.2025 (a Thursday):
act a1 is agency A's (its address mj@ and its user a@, Russian), a2 agency B's (b@, English).
Times are naive, i.e. the machine's local time, as `remind --now` takes them.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from mail_server import (
    SmtpServer,
    attachments,
    by_recipient,
    free_port,
    settings_for,
    text_part,
)

from tracker import reminders
from tracker.campaigns import finish_act, update_campaign
from tracker.db import open_db
from tracker.reminders import (
    Schedule,
    deliver,
    entry_events,
    get_entry,
    list_entries,
    reminder_offset,
    resend,
    run_due,
    send_now,
)
from tracker.verdicts import set_verdict

PROJECT = Path(__file__).resolve().parent.parent
AGENCY_A = {"mj@example.kz", "a@example.kz"}
AGENCY_B = {"b@example.kz"}
DEADLINE = date(2025, 4, 3)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def days_before(n: int) -> date:
    return DEADLINE - timedelta(days=n)


def keys(server) -> list[str]:
    return [m["X-Norma-Key"] for m in server.inbox.messages]


def recipients_of(server, kind: str) -> set[str]:
    return {r for r, msgs in by_recipient(server.inbox).items() if any(f":{kind}:" in m["X-Norma-Key"] for m in msgs)}


def finish_agency_b(world) -> None:
    for uid in world.clauses(world.a2):
        set_verdict(world.db, world.cid, world.a2, uid, "keep", user=world.users["lawyer"])
    finish_act(world.db, world.cid, world.a2, user=world.users["lawyer"])


# --- the schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize("left, due", [(30, None), (8, None), (7, 7), (5, 7), (4, 7), (3, 3), (2, 3),
                                       (1, 1), (0, 1), (-1, None)])
def test_the_reminder_due_is_the_latest_offset_reached(left, due):
    assert reminder_offset(Schedule(offsets=(7, 3, 1)), left) == due


def test_schedule_settings_are_read_from_text():
    s = Schedule.from_config({"remind_offsets": "10, 5,1", "remind_hour": "7", "weekly_day": "Friday",
                              "max_attempts": "3"})
    assert (s.offsets, s.remind_hour, s.weekly_day, s.max_attempts) == ((10, 5, 1), 7, 4, 3)
    with pytest.raises(ValueError, match="weekly_day"):
        Schedule.from_config({"weekly_day": "someday"})
    with pytest.raises(ValueError, match="remind_offsets"):
        Schedule.from_config({"remind_offsets": "a week"})


def test_reminders_reach_each_agency_once_however_often_remind_runs(world, server):
    settings = server.settings()
    first = run_due(world.db, settings, Schedule(), at(days_before(7)))
    assert len(first.sent) == 3 and not first.errors
    got = by_recipient(server.inbox)
    assert set(got) == AGENCY_A | AGENCY_B
    for address in AGENCY_A:
        (msg,) = got[address]
        assert "Министерство юстиции" in msg["Subject"] and "осталось 7 дней" in msg["Subject"]
        assert "Министерство финансов" not in text_part(msg)
    (msg_b,) = got["b@example.kz"]
    assert msg_b["Subject"].startswith("Reminder: 7 days left") and "Министерство финансов" in msg_b["Subject"]
    # cron every few minutes, and the next days until the next offset: nothing new
    for moment in (at(days_before(7), 9, 5), at(days_before(7), 18), at(days_before(6)), at(days_before(4))):
        again = run_due(world.db, settings, Schedule(), moment)
        assert again.planned == 0 and again.sent == []
    assert len(server.inbox.envelopes) == 3
    # the 3-day reminder is a new message
    run_due(world.db, settings, Schedule(), at(days_before(3)))
    reminders_sent = [k for k in keys(server) if ":reminder:" in k]
    assert len(reminders_sent) == 6 and len(set(reminders_sent)) == 6


def test_nothing_is_planned_before_the_morning_hour(world, server):
    report = run_due(world.db, server.settings(), Schedule(remind_hour=8), at(days_before(7), 7, 59))
    assert report.planned == 0 and server.inbox.envelopes == []
    assert list_entries(world.db) == []


def test_agencies_that_finished_get_no_reminder(world, server):
    finish_agency_b(world)
    run_due(world.db, server.settings(), Schedule(), at(days_before(1)))
    assert recipients_of(server, "reminder") == AGENCY_A


def test_overdue_notice_goes_daily_to_agencies_with_unfinished_acts(world, server):
    finish_agency_b(world)
    settings = server.settings()
    for day in (DEADLINE + timedelta(days=1), DEADLINE + timedelta(days=2)):
        run_due(world.db, settings, Schedule(), at(day))
        run_due(world.db, settings, Schedule(), at(day, 15))   # a second run that day adds nothing
    got = by_recipient(server.inbox)
    assert set(got) == AGENCY_A
    for address in AGENCY_A:
        assert len(got[address]) == 2
        assert all(m["Subject"].startswith("Просрочено") for m in got[address])
        assert "ПРОСРОЧЕНО (1)" in text_part(got[address][0])


def test_a_moved_deadline_gets_its_own_reminders(world, server):
    settings = server.settings()
    run_due(world.db, settings, Schedule(), at(days_before(7)))
    update_campaign(world.db, world.cid, deadline=DEADLINE + timedelta(days=7))
    run_due(world.db, settings, Schedule(), at(days_before(3)))          # now 10 days to go: nothing
    assert len([k for k in keys(server) if ":reminder:" in k]) == 3
    run_due(world.db, settings, Schedule(), at(DEADLINE))                 # 7 days before the new deadline
    assert len([k for k in keys(server) if ":reminder:" in k]) == 6


def test_weekly_summary_goes_to_the_ministry_once_a_week(world, server):
    settings = server.settings(ministry_emails=("minister@gov.kz",))
    monday = date(2025, 3, 10)
    for moment in (at(monday), at(monday, 16), at(monday + timedelta(days=1)), at(monday + timedelta(days=4))):
        run_due(world.db, settings, Schedule(weekly_day=0), moment)
    got = by_recipient(server.inbox)
    assert set(got) == {"lawyer@example.kz", "minister@gov.kz"}
    (msg,) = got["lawyer@example.kz"]
    assert msg["Subject"].startswith("Еженедельная сводка на 10.03.2025")
    assert [p.get_content_type() for p in msg.walk() if p.get_content_maintype() == "image"] == ["image/png"]
    assert any(name.endswith(".xlsx") for name in attachments(msg))
    run_due(world.db, settings, Schedule(weekly_day=0), at(monday + timedelta(days=7)))
    assert len(by_recipient(server.inbox)["lawyer@example.kz"]) == 2


def test_a_weekly_summary_missed_on_its_day_goes_out_the_next_day(world, server):
    tuesday = date(2025, 3, 11)
    run_due(world.db, server.settings(), Schedule(weekly_day=0), at(tuesday))
    assert set(by_recipient(server.inbox)) == {"lawyer@example.kz"}
    assert by_recipient(server.inbox)["lawyer@example.kz"][0]["Subject"].startswith("Еженедельная сводка на 11.03")


# --- never twice ----------------------------------------------------------------------------


def test_two_overlapping_runs_send_each_message_once(world, server):
    server.inbox.delay = 0.1  # each message takes a while: the runs overlap
    settings = server.settings(ministry_emails=("minister@gov.kz",))
    reports = []
    barrier = threading.Barrier(2)

    def run():
        db = open_db(world.path)
        barrier.wait()
        reports.append(run_due(db, settings, Schedule(), at(date(2025, 3, 31))))  # a Monday, 3 days left
        db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = keys(server)
    assert len(sent) == len(set(sent)) == 5   # 3 agency reminders + 2 weekly summaries
    assert sorted(i for r in reports for i in r.sent) == sorted(e["id"] for e in list_entries(world.db))


def test_two_remind_processes_at_once_send_each_message_once(world, server, tmp_path):
    server.inbox.delay = 0.2
    env = dict(os.environ, NORMA_SMTP_HOST="127.0.0.1", NORMA_SMTP_PORT=str(server.port),
               NORMA_SMTP_SECURITY="none", NORMA_MAIL_FROM="norma@ministry.example",
               NORMA_INSTANCE=str(tmp_path / "instance"), PYTHONPATH=str(PROJECT))
    cmd = [sys.executable, "-m", "tracker", "remind", "--db", str(world.path), "--now", "2025-03-27T09:00"]
    procs = [subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    sent = keys(server)
    assert len(sent) == len(set(sent)) == 3
    assert sum(int(out.split(" sent")[0].rsplit(",", 1)[-1]) for out, _ in outs if out) == 3


def _crash_after_first_send(db_path: str, port: int, now: datetime) -> None:
    """In a child process: send, then die before the outcome is written (like kill -9)."""
    def die(*_args, **_kw):
        os._exit(17)

    reminders._mark_sent = die
    run_due(open_db(db_path), settings_for(port), Schedule(), now)


def crash_one_run(world, server, now: datetime) -> int:
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_crash_after_first_send, args=(str(world.path), server.port, now))
    child.start()
    child.join(60)
    assert child.exitcode == 17
    (row,) = [e for e in list_entries(world.db) if e["status"] == "sending"]
    return row["id"]


def test_a_run_killed_after_sending_leaves_the_message_possibly_sent_not_resent(world, server):
    start = at(days_before(7))
    crashed = crash_one_run(world, server, start)
    recipient = get_entry(world.db, crashed)["recipient"]
    assert by_recipient(server.inbox)[recipient] and len(server.inbox.envelopes) == 1
    # the next cron run a minute later sends the others, not that one (its run may still be alive)
    after = run_due(world.db, server.settings(), Schedule(), start + timedelta(minutes=1))
    assert len(after.sent) == 2 and crashed not in after.sent
    # once the lease is over it reads as possibly sent, and stays unsent
    later = run_due(world.db, server.settings(), Schedule(lease_minutes=15), start + timedelta(minutes=20))
    assert later.possibly_sent == [crashed] and later.sent == []
    got = by_recipient(server.inbox)
    assert set(got) == AGENCY_A | AGENCY_B and all(len(m) == 1 for m in got.values())
    (entry,) = list_entries(world.db, statuses=["possibly_sent"])
    assert entry["id"] == crashed
    assert [e["event"] for e in entry_events(world.db, crashed)] == ["due", "possibly_sent"]
    for day in range(1, 4):
        run_due(world.db, server.settings(), Schedule(), start + timedelta(days=day, minutes=30))
    assert len(by_recipient(server.inbox)[recipient]) == 1


def test_a_person_resends_a_possibly_sent_message(world, server):
    start = at(days_before(7))
    crashed = crash_one_run(world, server, start)
    later = start + timedelta(minutes=30)
    assert reminders.display_status(get_entry(world.db, crashed), later) == "possibly_sent"
    with pytest.raises(PermissionError):
        resend(world.db, crashed, user=world.users["agency_a"], now=later)
    resend(world.db, crashed, user=world.users["lawyer"], now=later)
    report = deliver(world.db, server.settings(), Schedule(), later, only_ids=[crashed])
    assert report.sent == [crashed]
    row = get_entry(world.db, crashed)
    assert row["status"] == "sent" and row["requested_by"] == world.users["lawyer"]["id"]
    assert len(by_recipient(server.inbox)[row["recipient"]]) == 2   # by a person's decision
    events = entry_events(world.db, crashed)
    assert [e["event"] for e in events][-2:] == ["resend", "sent"]
    assert events[-2]["user_email"] == "lawyer@example.kz"
    with pytest.raises(ValueError, match="sent"):
        resend(world.db, crashed, user=world.users["lawyer"], now=later)


def test_a_connection_lost_after_the_message_body_is_possibly_sent(world, server):
    server.inbox.stall = {"a@example.kz": 2.5}        # the server keeps it but answers too late
    settings = server.settings(timeout=1.0)
    report = run_due(world.db, settings, Schedule(), at(days_before(7)))
    (row,) = [get_entry(world.db, i) for i in report.possibly_sent]
    assert row["recipient"] == "a@example.kz" and row["status"] == "possibly_sent"
    assert set(by_recipient(server.inbox)) == AGENCY_A | AGENCY_B      # the others still went
    run_due(world.db, settings, Schedule(), at(days_before(6)))
    assert len(by_recipient(server.inbox)["a@example.kz"]) == 1


# --- failures -------------------------------------------------------------------------------


def test_server_down_then_up_reminders_go_out_once_late_and_the_log_says_so(world):
    port = free_port()
    settings = settings_for(port)
    start = at(days_before(7))
    down = run_due(world.db, settings, Schedule(backoff_minutes=5), start)
    assert down.sent == [] and len(down.retry) == 3 and "cannot connect" in down.stopped
    rows = list_entries(world.db)
    assert {r["status"] for r in rows} == {"retry"}
    assert sum(r["attempts"] for r in rows) == 1                      # one attempt, the rest waited
    assert all(r["next_attempt_at"] and r["last_error"] for r in rows)
    # a run before the backoff is over does not knock again
    early = run_due(world.db, settings, Schedule(backoff_minutes=5), start + timedelta(minutes=2))
    assert early.retry == [] and early.sent == [] and early.stopped is None
    server = SmtpServer(port=port).start()
    try:
        up = run_due(world.db, settings, Schedule(backoff_minutes=5), start + timedelta(hours=2))
        assert len(up.sent) == 3
        got = by_recipient(server.inbox)
        assert set(got) == AGENCY_A | AGENCY_B and all(len(m) == 1 for m in got.values())
        run_due(world.db, settings, Schedule(backoff_minutes=5), start + timedelta(hours=2, minutes=5))
        assert len(server.inbox.envelopes) == 3
    finally:
        server.stop()
    for r in list_entries(world.db):
        assert r["status"] == "sent" and r["sent_at"] > r["due_at"]
        events = [e["event"] for e in entry_events(world.db, r["id"])]
        assert events == ["due", "retry", "sent"]
        assert "sent late: 2 h 0 min after it was due" in entry_events(world.db, r["id"])[-1]["detail"]


def test_retries_stop_after_max_attempts_and_the_message_shows_as_failed(world):
    settings = settings_for(free_port())
    schedule = Schedule(max_attempts=2, backoff_minutes=1)
    start = at(days_before(7))
    run_due(world.db, settings, schedule, start)
    run_due(world.db, settings, schedule, start + timedelta(minutes=5))
    (failed,) = list_entries(world.db, statuses=["failed"])
    assert failed["attempts"] == 2 and "cannot connect" in failed["last_error"]
    assert failed["next_attempt_at"] is None


def test_one_refused_address_does_not_stop_the_others(world, server):
    server.inbox.refuse.add("a@example.kz")
    report = run_due(world.db, server.settings(), Schedule(), at(days_before(7)))
    assert len(report.sent) == 2 and len(report.failed) == 1
    assert set(by_recipient(server.inbox)) == {"mj@example.kz", "b@example.kz"}
    (row,) = list_entries(world.db, statuses=["failed"])
    assert row["recipient"] == "a@example.kz" and "550" in row["last_error"]
    server.inbox.refuse.clear()
    run_due(world.db, server.settings(), Schedule(), at(days_before(7), 12))   # permanent: not retried
    assert "a@example.kz" not in by_recipient(server.inbox)


def test_a_report_that_cannot_be_built_fails_alone(world, server, monkeypatch):
    original = reminders.agency_report

    def broken(db, cid, agency_id, **kw):
        if agency_id == world.agency_b:
            raise RuntimeError("template missing")
        return original(db, cid, agency_id, **kw)

    monkeypatch.setattr(reminders, "agency_report", broken)
    report = run_due(world.db, server.settings(), Schedule(), at(days_before(7)))
    assert len(report.sent) == 2 and len(report.failed) == 1
    assert set(by_recipient(server.inbox)) == AGENCY_A
    assert "template missing" in get_entry(world.db, report.failed[0])["last_error"]


# --- a person's actions ---------------------------------------------------------------------


def test_send_report_now_goes_at_once_and_a_double_click_sends_once(world, server):
    settings = server.settings()
    now = datetime(2025, 3, 20, 11, 30)
    report = send_now(world.db, settings, Schedule(), world.cid, audience="agencies",
                      user=world.users["lawyer"], now=now)
    assert len(report.sent) == 3
    again = send_now(world.db, settings, Schedule(), world.cid, audience="agencies",
                     user=world.users["lawyer"], now=now + timedelta(seconds=20))
    assert again.planned == 0 and len(server.inbox.envelopes) == 3
    send_now(world.db, settings, Schedule(), world.cid, audience="ministry", user=world.users["lawyer"],
             now=now + timedelta(minutes=1))
    (summary,) = by_recipient(server.inbox)["lawyer@example.kz"]
    assert summary["Subject"].startswith("Ход проверки «Регуляторная гильотина» на 20.03.2025")
    send_now(world.db, settings, Schedule(), world.cid, audience="agency", agency_id=world.agency_b,
             user=world.users["admin"], now=now + timedelta(minutes=2))
    assert len(by_recipient(server.inbox)["b@example.kz"]) == 2
    assert all(r["requested_by"] for r in list_entries(world.db))


@pytest.mark.parametrize("role", ["viewer", "agency_a"])
def test_only_lawyers_and_admins_may_send_reports(world, server, role):
    with pytest.raises(PermissionError):
        send_now(world.db, server.settings(), Schedule(), world.cid, audience="agencies",
                 user=world.users[role], now=datetime(2025, 3, 20, 11))
    assert server.inbox.envelopes == []


# --- the command line -----------------------------------------------------------------------


def cli(args: list[str], *, port: int, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NORMA_SMTP_HOST="127.0.0.1", NORMA_SMTP_PORT=str(port), NORMA_SMTP_SECURITY="none",
               NORMA_MAIL_FROM="norma@ministry.example", NORMA_INSTANCE=str(tmp_path / "instance"),
               PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "tracker", *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_remind_sends_what_is_due_and_is_quiet_when_nothing_is(world, server, tmp_path):
    args = ["remind", "--db", str(world.path), "--now", "2025-03-27T09:00"]
    first = cli(args, port=server.port, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 newly due, 3 sent" in first.stdout
    second = cli(args, port=server.port, tmp_path=tmp_path)
    assert (second.returncode, second.stdout) == (0, "")
    assert len(server.inbox.envelopes) == 3


def test_cli_remind_with_the_server_down_exits_1_and_says_why(world, tmp_path):
    result = cli(["remind", "--db", str(world.path), "--now", "2025-03-27T09:00"], port=free_port(),
                 tmp_path=tmp_path)
    assert result.returncode == 1
    assert "error:" in result.stderr and "cannot connect" in result.stderr
    assert "3 to retry" in result.stdout


def test_cli_mail_test(world, server, tmp_path):
    ok = cli(["mail-test", "someone@example.kz", "--db", str(world.path)], port=server.port, tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert server.inbox.recipients() == ["someone@example.kz"]
    down = cli(["mail-test", "someone@example.kz", "--db", str(world.path)], port=free_port(), tmp_path=tmp_path)
    assert down.returncode == 2 and down.stderr.startswith("error: someone@example.kz: cannot connect")
    bad = cli(["remind", "--db", str(world.path), "--now", "yesterday"], port=server.port, tmp_path=tmp_path)
    assert bad.returncode == 2 and "ISO" in bad.stderr
