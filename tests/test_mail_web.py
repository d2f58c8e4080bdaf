"""Mail in the web app: previews, the admin's test message, "send report now", the send log, resend."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from mail_server import by_recipient, free_port

from tests.web_support import session_user_id
from tracker.reminders import Schedule, claim, get_entry, list_entries, plan
from web import create_app
from web.mail_views import PREVIEW_CSP

NOW = datetime(2025, 3, 27, 10, 0)   # 7 days before the deadline of mail_server's campaign


def app_for(world, port: int, now: datetime = NOW):
    return create_app({
        "DATABASE": str(world.path), "INSTANCE_DIR": str(world.path.parent), "TESTING": True,
        "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "START_WORKER": False,
        "TODAY": now.date(), "NOW": now,
        "MAIL": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "norma@ministry.example",
                 "base_url": "https://norma.example"},
    })


def client_as(app, world, role: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(world.path, world.users[role]["id"])
        session["_fresh"] = True
    return client


def test_agency_report_preview_shows_subject_recipients_and_both_parts(world, server):
    client = client_as(app_for(world, server.port), world, "lawyer")
    url = f"/mail/campaigns/{world.cid}/preview?audience=agency&agency_id={world.agency_a}&kind=reminder"
    page = client.get(url).get_data(as_text=True)
    assert "осталось 7 дней" in page
    assert "mj@example.kz" in page and "a@example.kz" in page and "b@example.kz" not in page
    assert "Пунктов проверено: 0 из" in page                       # the plain-text part
    frame = client.get(url.replace("/preview?", "/preview.html?"))
    assert frame.status_code == 200 and frame.headers["Content-Security-Policy"] == PREVIEW_CSP
    assert 'href="https://norma.example/campaigns/' in frame.get_data(as_text=True)
    assert server.inbox.envelopes == []                              # a preview sends nothing


def test_ministry_preview_inlines_the_chart_and_offers_the_attachment(world, server):
    client = client_as(app_for(world, server.port), world, "admin")
    html = client.get(f"/mail/campaigns/{world.cid}/preview.html?audience=ministry").get_data(as_text=True)
    assert "data:image/png;base64," in html and "cid:" not in html
    name = f"verdicts-campaign-{world.cid}-{NOW.date().isoformat()}.xlsx"
    page = client.get(f"/mail/campaigns/{world.cid}/preview?audience=ministry").get_data(as_text=True)
    assert name in page
    xlsx = client.get(f"/mail/campaigns/{world.cid}/preview/{name}?audience=ministry")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    english = client.get(f"/mail/campaigns/{world.cid}/preview?audience=ministry&lang=en").get_data(as_text=True)
    assert "Review progress" in english or "progress as of" in english


def test_admin_sends_a_test_message(world, server):
    client = client_as(app_for(world, server.port), world, "admin")
    resp = client.post("/mail/test", data={"to": "it@example.kz"}, follow_redirects=True)
    assert "it@example.kz" in resp.get_data(as_text=True)
    assert server.inbox.recipients() == ["it@example.kz"]
    assert client_as(app_for(world, server.port), world, "lawyer").post(
        "/mail/test", data={"to": "it@example.kz"}).status_code == 403


def test_test_message_with_the_server_down_says_why(world):
    client = client_as(app_for(world, free_port()), world, "admin")
    page = client.post("/mail/test", data={"to": "it@example.kz"}, follow_redirects=True).get_data(as_text=True)
    assert "cannot connect" in page


def test_lawyer_sends_the_report_now_and_sees_it_in_the_log(world, server):
    client = client_as(app_for(world, server.port), world, "lawyer")
    resp = client.post(f"/mail/campaigns/{world.cid}/send", data={"audience": "agency",
                                                                  "agency_id": str(world.agency_b)})
    assert resp.status_code == 302
    assert set(by_recipient(server.inbox)) == {"b@example.kz"}
    client.post(f"/mail/campaigns/{world.cid}/send", data={"audience": "agency", "agency_id": str(world.agency_b)})
    assert len(server.inbox.envelopes) == 1                          # a double click sends once
    page = client.get(f"/mail/campaigns/{world.cid}").get_data(as_text=True)
    assert "b@example.kz" in page


@pytest.mark.parametrize("role", ["viewer", "agency_a"])
def test_only_lawyers_and_admins_reach_mail(world, server, role):
    client = client_as(app_for(world, server.port), world, role)
    assert client.get("/mail").status_code == 403
    assert client.get(f"/mail/campaigns/{world.cid}/preview?audience=ministry").status_code == 403
    assert client.post(f"/mail/campaigns/{world.cid}/send", data={"audience": "agencies"}).status_code == 403
    assert server.inbox.envelopes == []


def test_failures_show_in_the_log_with_the_reason(world):
    app = app_for(world, free_port())
    client = client_as(app, world, "lawyer")
    page = client.post(f"/mail/campaigns/{world.cid}/send", data={"audience": "agencies"},
                       follow_redirects=True).get_data(as_text=True)
    assert "cannot connect" in page
    log = client.get("/mail?state=retry").get_data(as_text=True)
    assert log.count("cannot connect") == len(list_entries(world.db))


def test_possibly_sent_messages_are_flagged_and_a_person_resends_them(world, server):
    # a run claimed the message and started sending, then died: the row stays `sending`
    claim(world.db, plan(world.db, server.settings(), Schedule(), NOW), NOW)
    (first, *_rest) = [e["id"] for e in list_entries(world.db)]
    world.db.execute("UPDATE mail_log SET status = 'sending', attempts = 1, claimed_at = ? WHERE id = ?",
                     [(NOW - timedelta(hours=1)).astimezone().isoformat(), first])
    world.db.conn.commit()
    app = app_for(world, server.port)
    client = client_as(app, world, "lawyer")
    attention = client.get("/mail?state=attention").get_data(as_text=True)
    assert f'/mail/{first}"' in attention and f"/mail/{first}/resend" in attention
    resp = client.post(f"/mail/{first}/resend", follow_redirects=True)
    assert resp.status_code == 200
    recipient = get_entry(world.db, first)["recipient"]
    assert by_recipient(server.inbox)[recipient]
    assert get_entry(world.db, first)["status"] == "sent"
    assert "lawyer@example.kz" in client.get(f"/mail/{first}").get_data(as_text=True)
    assert client_as(app, world, "agency_a").post(f"/mail/{first}/resend").status_code == 403


def test_wrong_mail_settings_are_shown_not_crashed(world):
    app = app_for(world, 25)
    app.config["MAIL"] = {"security": "tls13"}
    page = client_as(app, world, "admin").get("/mail").get_data(as_text=True)
    assert "security" in page and "tls13" in page
    assert "/mail/test" not in page          # no test button for settings that cannot work
