"""Mail settings, the SMTP sender and the rendered reports, checked against a real SMTP server."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from mail_server import (
    SmtpServer,
    attachments,
    free_port,
    html_part,
    self_signed_cert,
    settings_for,
    text_part,
)
from openpyxl import load_workbook
from PIL import Image

from tracker.campaigns import assignments, finish_act, progress
from tracker.exports import verdict_rows
from tracker.mail import (
    MailConfigError,
    MailError,
    MailSettings,
    SmtpSession,
    build_message,
    load_config,
    load_settings,
)
from tracker.reminders import list_entries, send_test_message
from tracker.reports import agency_report, chart_png, ministry_report, plural_ru
from tracker.verdicts import set_verdict


def give_verdicts(world, act_id: int, n: int | None = None) -> list[str]:
    """'keep' on the first n clauses of the act (all when None); returns their uids."""
    uids = world.clauses(act_id)[:n]
    for uid in uids:
        set_verdict(world.db, world.cid, act_id, uid, "keep", user=world.users["lawyer"])
    return uids


# --- settings -------------------------------------------------------------------------------


def test_settings_come_from_the_instance_file_then_the_environment(tmp_path):
    toml = tmp_path / "mail.toml"
    toml.write_text('[mail]\nhost = "smtp.gov.kz"\nport = 2525\nsecurity = "ssl"\nuser = "norma"\n'
                    'password = "from-file"\nsender = "norma@gov.kz"\nremind_offsets = [10, 2]\n')
    env = {"NORMA_SMTP_PASSWORD": "from-env", "NORMA_SMTP_PORT": "465"}
    settings = load_settings(env=env, path=toml)
    assert (settings.host, settings.port, settings.security, settings.user) == ("smtp.gov.kz", 465, "ssl", "norma")
    assert settings.password == "from-env"
    assert settings.sender == "norma@gov.kz"
    assert "from-env" not in repr(settings) and "from-env" not in str(settings.describe())
    assert settings.describe()["password_set"] is True
    assert load_config(env=env, path=toml)["remind_offsets"] == [10, 2]
    assert load_settings({"host": "override"}, env=env, path=toml).host == "override"


def test_default_port_follows_the_security_mode(tmp_path):
    missing = tmp_path / "none.toml"
    assert load_settings(env={"NORMA_SMTP_SECURITY": "ssl"}, path=missing).port == 465
    assert load_settings(env={"NORMA_SMTP_SECURITY": "starttls"}, path=missing).port == 587
    assert load_settings(env={"NORMA_SMTP_SECURITY": "none"}, path=missing).port == 25


@pytest.mark.parametrize("env, word", [
    ({"NORMA_SMTP_SECURITY": "tls13"}, "security"),
    ({"NORMA_SMTP_PORT": "smtp"}, "port"),
    ({"NORMA_MAIL_FROM": "nobody"}, "sender"),
])
def test_malformed_settings_are_refused_naming_the_setting(tmp_path, env, word):
    with pytest.raises(MailConfigError, match=word):
        load_settings(env=env, path=tmp_path / "none.toml")


# --- sending --------------------------------------------------------------------------------


def test_test_message_arrives_with_a_utf8_subject_and_both_parts(world, server):
    row = send_test_message(world.db, server.settings(), "Admin@Example.kz", user=world.users["admin"])
    assert row["status"] == "sent", row["last_error"]
    (msg,) = server.inbox.messages
    assert server.inbox.recipients() == ["admin@example.kz"]
    assert msg["Subject"] == "Norma: проверочное письмо"
    assert re.search(r"=\?utf-8\?", server.inbox.envelopes[0][1].decode("ascii"), re.I)  # RFC 2047 on the wire
    assert "проверочное письмо" in text_part(msg)
    assert "<h1" in html_part(msg) and "Проверочное письмо" in html_part(msg)
    assert msg["From"].addresses[0].addr_spec == "norma@ministry.example"
    assert [e["state"] for e in list_entries(world.db)] == ["sent"]


def test_test_message_to_a_server_that_is_down_reports_why_and_is_not_retried(world):
    row = send_test_message(world.db, settings_for(free_port()), "admin@example.kz")
    assert row["status"] == "failed"
    assert "cannot connect" in row["last_error"]
    assert row["next_attempt_at"] is None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS is TLS
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_login_work_and_a_wrong_password_is_reported(tmp_path, mode):
    cert = self_signed_cert(tmp_path)
    srv = SmtpServer(tls=mode, cert=cert, login=("norma", "s3cret")).start()
    try:
        settings = srv.settings(security=mode, cafile=str(cert[0]), user="norma", password="s3cret")
        msg = build_message(settings, to="a@example.kz", subject="Тема", text="Текст")
        with SmtpSession(settings) as session:
            session.send(msg)
        assert srv.inbox.recipients() == ["a@example.kz"]
        with pytest.raises(MailError, match="login refused") as info, \
                SmtpSession(MailSettings(**{**settings.__dict__, "password": "wrong"})) as session:
            session.send(msg)
        assert info.value.server_level and info.value.temporary
    finally:
        srv.stop()


def test_an_unknown_certificate_is_refused(tmp_path):
    cert = self_signed_cert(tmp_path)
    srv = SmtpServer(tls="starttls", cert=cert).start()
    try:
        msg = build_message(srv.settings(), to="a@example.kz", subject="s", text="t")
        with pytest.raises(MailError, match="cannot connect"), \
                SmtpSession(srv.settings(security="starttls")) as session:
            session.send(msg)
        assert srv.inbox.envelopes == []
    finally:
        srv.stop()


def test_a_refused_address_is_a_permanent_error_of_that_message_only(server):
    server.inbox.refuse.add("ghost@example.kz")
    settings = server.settings()
    with SmtpSession(settings) as session:
        with pytest.raises(MailError) as info:
            session.send(build_message(settings, to="ghost@example.kz", subject="s", text="t"))
        assert not info.value.temporary and not info.value.server_level
        session.send(build_message(settings, to="a@example.kz", subject="s", text="t"))
    assert server.inbox.recipients() == ["a@example.kz"]


def test_text_attachments_keep_cyrillic(server):
    from tracker.mail import Attachment

    settings = server.settings()
    msg = build_message(settings, to="a@example.kz", subject="s", text="t",
                        attachments=[Attachment("v.csv", "Акт;Решение\n107;оставить\n", "text/csv")])
    with SmtpSession(settings) as session:
        session.send(msg)
    (got,) = server.inbox.messages
    assert attachments(got)["v.csv"].decode("utf-8") == "Акт;Решение\n107;оставить\n"


# --- the reports ----------------------------------------------------------------------------


def test_agency_report_lists_its_acts_with_clauses_reviewed_and_left(world):
    reviewed = give_verdicts(world, world.a1, 3)
    today = date(2025, 3, 20)
    (row,) = assignments(world.db, world.cid, agency_id=world.agency_a)
    r = agency_report(world.db, world.cid, world.agency_a, today=today, kind="reminder",
                      base_url="https://norma.example")
    left = (world.db.execute("SELECT deadline FROM campaigns").fetchone()[0])
    days = (date.fromisoformat(left) - today).days
    assert f"осталось {days} дней" in r.subject
    assert "Министерство юстиции" in r.subject
    assert f"Пунктов проверено: {len(reviewed)} из {row['clauses_total']}, осталось: " \
           f"{row['clauses_total'] - len(reviewed)}" in r.text
    assert row["act_title"] in r.text and row["act_title"] in r.html
    other = assignments(world.db, world.cid, agency_id=world.agency_b)[0]["act_title"]
    assert other not in r.text  # only its own acts
    assert f"https://norma.example/campaigns/{world.cid}" in r.text
    assert f'href="https://norma.example/campaigns/{world.cid}"' in r.html
    assert "ПРОСРОЧЕНО" not in r.text


def test_dates_are_written_dd_mm_yyyy(world):
    campaign_deadline = date.fromisoformat(world.db.execute("SELECT deadline FROM campaigns").fetchone()[0])
    r = agency_report(world.db, world.cid, world.agency_a, today=date(2025, 3, 20))
    assert campaign_deadline.strftime("%d.%m.%Y") in r.text
    assert campaign_deadline.isoformat() not in r.text + r.html


def test_agency_report_after_the_deadline_names_what_is_overdue(world):
    give_verdicts(world, world.a1, 2)
    r = agency_report(world.db, world.cid, world.agency_a, today=date(2025, 4, 10), kind="overdue")
    assert r.subject.startswith("Просрочено")
    assert "ПРОСРОЧЕНО (1)" in r.text
    assert "Срок истёк 7 дней назад" in r.text


def test_english_on_request(world):
    r = agency_report(world.db, world.cid, world.agency_a, today=date(2025, 3, 31), kind="reminder", lang="en")
    assert r.subject.startswith("Reminder: 3 days left")
    assert "Clauses reviewed: 0 of" in r.text and 'lang="en"' in r.html


def test_kazakh_and_kyrgyz_readers_get_russian_mail(world):
    r = agency_report(world.db, world.cid, world.agency_a, today=date(2025, 3, 31), lang="kk")
    assert "Проверка «Регуляторная гильотина»" in r.text


def test_russian_plurals():
    forms = ("день", "дня", "дней")
    assert [plural_ru(n, *forms) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111)] == \
        ["день", "дня", "дней", "дней", "дней", "день", "дня", "дней", "дней"]


def test_ministry_report_puts_overdue_agencies_first_with_chart_and_verdicts(world):
    give_verdicts(world, world.a2)                       # agency B finishes everything
    finish_act(world.db, world.cid, world.a2, user=world.users["lawyer"])
    give_verdicts(world, world.a1, 2)                    # agency A does not
    today = date(2025, 4, 7)
    r = ministry_report(world.db, world.cid, today=today, kind="weekly", base_url="https://norma.example")
    rows = progress(world.db, world.cid, today)
    assert [p["agency"] for p in rows] == ["Министерство юстиции", "Министерство финансов"]
    first, second = r.text.index("1. Министерство юстиции — ПРОСРОЧЕНО"), r.text.index("2. Министерство финансов")
    assert first < second
    assert "просрочено ведомств: 1" in r.subject
    assert r.html.index("Министерство юстиции") < r.html.index("Министерство финансов")
    # the chart: a PNG, referenced from the HTML by its content id
    (img,) = r.inline
    assert f'src="cid:{img.cid}"' in r.html
    png = Image.open(io.BytesIO(img.content))
    assert png.format == "PNG"
    # the verdicts so far, as a workbook with one row per verdict under a header
    (att,) = r.attachments
    assert att.filename.endswith(".xlsx") and att.filename in r.text
    sheet = load_workbook(io.BytesIO(att.content)).active
    expected = verdict_rows(world.db, world.cid)
    assert sheet.max_row == len(expected) + 1
    texts = {str(c.value) for row in sheet.iter_rows(min_row=2) for c in row}
    assert expected[0]["text"][:30] in {t[:30] for t in texts}


def test_preview_shows_the_chart_inline_without_cid(world):
    r = ministry_report(world.db, world.cid, today=date(2025, 3, 20))
    preview = r.preview_html()
    assert "cid:" not in preview
    assert "data:image/png;base64," in preview


def test_chart_has_a_bar_per_agency_and_marks_overdue_in_red():
    rows = [{"agency": "Минюст", "percent": 40, "overdue": True},
            {"agency": "Минфин", "percent": 100, "overdue": False}]
    one = Image.open(io.BytesIO(chart_png(rows[:1]))).convert("RGB")
    two = Image.open(io.BytesIO(chart_png(rows))).convert("RGB")
    assert two.height > one.height and two.width == one.width
    colours = {c for _, c in two.getcolors(1 << 16)}
    assert (0xC0, 0x39, 0x2B) in colours     # the overdue bar
    assert (0x2E, 0x7D, 0x32) in colours     # the finished one


def test_a_report_message_carries_both_parts_chart_and_attachment(world, server):
    settings = server.settings()
    r = ministry_report(world.db, world.cid, today=date(2025, 3, 24), kind="manual")
    msg = build_message(settings, to="lawyer@example.kz", subject=r.subject, text=r.text, html=r.html,
                        attachments=r.attachments, inline=r.inline)
    with SmtpSession(settings) as session:
        session.send(msg)
    (got,) = server.inbox.messages
    assert got["Subject"] == r.subject and "«Регуляторная гильотина»" in got["Subject"]
    assert text_part(got).replace("\r\n", "\n") == r.text
    assert "<table" in html_part(got)
    images = [p for p in got.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"].strip("<>") == r.inline[0].cid
    assert attachments(got)[r.attachments[0].filename] == r.attachments[0].content


def test_a_deadline_moved_later_restarts_the_countdown(world):
    from tracker.campaigns import update_campaign

    update_campaign(world.db, world.cid, deadline=date(2025, 4, 3) + timedelta(days=10))
    r = agency_report(world.db, world.cid, world.agency_a, today=date(2025, 4, 10), kind="reminder")
    assert "13.04.2025" in r.text and "Осталось 3 дня" in r.text


def test_a_naive_now_is_local_time():
    from tracker.reminders import parse_now

    assert parse_now("2025-03-28T09:00").tzinfo is not None
    assert parse_now("2025-03-28T09:00+05:00").utcoffset() == timedelta(hours=5)
    with pytest.raises(ValueError, match="ISO"):
        parse_now("28.03.2025")
    assert parse_now("2025-03-28").replace(tzinfo=None) == datetime(2025, 3, 28)
