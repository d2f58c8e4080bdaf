"""The web app as its users rely on it: logging in safely, uploading, reading an act, running a
campaign, reviewing clauses, following progress, searching, exporting, in Russian or English."""
from __future__ import annotations

import csv
import io
import re
import socket
import time
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from flask import g, session
from openpyxl import load_workbook

from tests.web_support import (
    KZ_107_DOCX,
    PASSWORD,
    SCAN_PDF,
    act_as,
    fresh_world,
    login_page,
    make_app,
    serving,
)
from tracker.db import open_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(tmp_path):
    return fresh_world(tmp_path / "world")


@pytest.fixture
def app(world):
    return make_app(world)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(world):
    database = open_db(world.db_path)
    yield database
    database.close()


def text_of(resp) -> str:
    """The page's visible text, tags removed and spaces collapsed, for wording checks."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", resp.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").split())


def csrf_from(resp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)


# --- logging in and the session ---------------------------------------------------------------


def test_a_served_process_compiles_every_template_before_its_first_request(app):
    import gc

    from web import warm_up

    try:
        warm_up(app)  # what `tracker serve` runs in each worker: a broken template fails here, not on a click
        assert gc.get_freeze_count() > 0  # start-up objects are out of the collector's full passes
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
    names = app.jinja_env.list_templates(extensions=["html"])
    assert "dashboard/index.html" in names and "review/act.html" in names
    compiled = {t.name for t in app.jinja_env.cache.values()}
    assert set(names) <= compiled


def test_login_accepts_the_right_password_and_refuses_a_wrong_one(client, world):
    bad = client.post("/login", data={"email": world.email("lawyer"), "password": "wrong-password"})
    assert bad.status_code == 401
    assert "Неверный адрес электронной почты или пароль" in text_of(bad)
    assert client.get("/acts").status_code == 302
    good = client.post("/login", data={"email": world.email("lawyer").upper(), "password": PASSWORD})
    assert good.status_code == 302
    assert client.get("/acts").status_code == 200


def _try(client, email, password, addr="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_repeated_wrong_passwords_block_that_login_for_a_while_even_with_the_right_one(client, world, db):
    from tracker.logins import PER_CLIENT

    email = world.email("lawyer")
    for _ in range(PER_CLIENT):
        assert _try(client, email, "guess-123").status_code == 401
    blocked = _try(client, email, PASSWORD)
    assert blocked.status_code == 429
    assert "Слишком много неудачных попыток. Повторите через 15 мин." in text_of(blocked)
    assert client.get("/acts").status_code == 302  # not logged in
    # the same account from another address, and another account from this one, are not blocked
    assert _try(app_client(world), email, PASSWORD, addr="10.0.0.2").status_code == 302
    assert _try(app_client(world), world.email("viewer"), PASSWORD).status_code == 302
    # once the failures are older than the window, the right password works again
    db.execute("UPDATE login_failures SET at = '2000-01-01T00:00:00+00:00'")
    db.conn.commit()
    assert _try(client, email, PASSWORD).status_code == 302


def test_a_successful_login_forgets_the_earlier_failures(world, db):
    from tracker.logins import PER_CLIENT

    email = world.email("viewer")
    for _ in range(PER_CLIENT - 1):
        _try(app_client(world), email, "guess-123")
    assert _try(app_client(world), email, PASSWORD).status_code == 302
    assert db.execute("SELECT COUNT(*) FROM login_failures WHERE email = ?", [email]).fetchone()[0] == 0
    assert _try(app_client(world), email, "guess-123").status_code == 401  # counting starts again at one


def test_guessing_one_account_from_many_addresses_is_blocked_but_not_at_its_usual_address(world):
    from tracker.logins import PER_ACCOUNT, PER_CLIENT

    email = world.email("agency_a")
    assert _try(app_client(world), email, PASSWORD, addr="10.7.7.7").status_code == 302  # the owner's
    for i in range(PER_ACCOUNT):
        _try(app_client(world), email, "guess-123", addr=f"10.1.{i // PER_CLIENT}.{i}")
    assert _try(app_client(world), email, PASSWORD, addr="10.9.9.9").status_code == 429
    assert _try(app_client(world), email, PASSWORD, addr="10.7.7.7").status_code == 302


def test_attempts_are_counted_before_the_password_is_checked(world, db):
    """Attempts sent at once cannot all pass the limit while their slow hashes run."""
    from tracker.logins import PER_CLIENT, begin_attempt

    email = world.email("lawyer")
    waits = [begin_attempt(db, email, "10.0.0.9") for _ in range(PER_CLIENT + 2)]
    assert waits[:PER_CLIENT] == [0] * PER_CLIENT and all(w > 0 for w in waits[PER_CLIENT:])
    assert _try(app_client(world), email, PASSWORD, addr="10.0.0.9").status_code == 429


def test_behind_a_proxy_the_address_comes_from_x_forwarded_for(world):
    from tracker.logins import PER_CLIENT

    client = make_app(world, PROXY_HOPS=1).test_client()
    email = world.email("viewer")
    for _ in range(PER_CLIENT):
        client.post("/login", data={"email": email, "password": "guess-123"},
                    headers={"X-Forwarded-For": "203.0.113.5"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other = client.post("/login", data={"email": email, "password": PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert other.status_code == 302  # the proxy's own address is shared, the guesser's is not


def app_client(world):
    return make_app(world).test_client()


def test_session_cookie_is_httponly_samesite_lax_and_secure_when_configured(world):
    for secure in (False, True):
        client = make_app(world, SESSION_COOKIE_SECURE=secure).test_client()
        resp = client.post("/login", data={"email": world.email("viewer"), "password": PASSWORD})
        cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(world, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.delenv("NORMA_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    config = {"DATABASE": str(world.db_path), "INSTANCE_DIR": str(instance), "TESTING": True}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (instance / "secret_key").read_text().strip() == first
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("NORMA_SECRET_KEY", "from-the-environment")
    assert create_app(config).config["SECRET_KEY"] == "from-the-environment"


def test_login_never_redirects_to_another_site(client, world):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        resp = client.post(f"/login?next={target}", data={"email": world.email("viewer"), "password": PASSWORD})
        assert resp.status_code == 302
        assert "evil" not in resp.location
        client.post("/logout")
    resp = client.post("/login?next=/campaigns", data={"email": world.email("viewer"), "password": PASSWORD})
    assert resp.location == "/campaigns"


def test_first_visit_creates_the_administrator_and_then_setup_is_gone(tmp_path):
    from web import create_app

    app = create_app({"DATABASE": str(tmp_path / "empty.db"), "INSTANCE_DIR": str(tmp_path), "TESTING": True,
                      "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.get("/login").location == "/setup"
    short = client.post("/setup", data={"name": "A", "email": "a@b.kz", "password": "short", "password2": "short"})
    assert "не менее 8 символов" in text_of(short)
    ok = client.post("/setup", data={"name": "Админ", "email": "a@b.kz", "password": "longpassword",
                                     "password2": "longpassword"})
    assert ok.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert client.get("/setup").status_code == 404


def test_a_post_without_the_csrf_token_is_refused_with_400(world):
    from tracker.verdicts import get_verdicts

    client = make_app(world, WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/login", data={"email": world.email("agency_a"), "password": PASSWORD}).status_code == 400
    page = client.get("/login")
    assert client.post("/login", data={"email": world.email("agency_a"), "password": PASSWORD,
                                       "csrf_token": csrf_from(page)}).status_code == 302
    url = f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict"
    refused = client.post(url, data={"verdict": "keep"})
    assert refused.status_code == 400
    assert "Форма устарела" in text_of(refused)
    db = open_db(world.db_path)
    assert get_verdicts(db, world.campaign, world.act_a) == {}
    token = csrf_from(client.get(f"/campaigns/{world.campaign}/acts/{world.act_a}"))
    assert client.post(url, data={"verdict": "keep", "csrf_token": token}).status_code == 303
    assert get_verdicts(db, world.campaign, world.act_a)[world.uid_a]["verdict"] == "keep"
    db.close()


def test_a_sessions_csrf_token_is_signed_once_and_no_other_session_can_use_it(world):
    app = make_app(world, WTF_CSRF_ENABLED=True)
    mine, other = app.test_client(), app.test_client()
    for client in (mine, other):
        act_as(client, world, "agency_a")
    tokens = {csrf_from(mine.get("/"))}
    time.sleep(1.1)  # itsdangerous' timestamps count seconds: a token signed now would differ
    tokens |= {csrf_from(mine.get(path)) for path in ("/search?q=заявление", f"/acts/{world.act_a}",
                                                      f"/campaigns/{world.campaign}/acts/{world.act_a}")}
    assert len(tokens) == 1  # the act page's forms and every other page carry the same token
    theirs = csrf_from(other.get("/"))
    assert theirs not in tokens
    url = f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict"
    assert mine.post(url, data={"verdict": "keep", "csrf_token": theirs}).status_code == 400
    assert mine.post(url, data={"verdict": "keep", "csrf_token": tokens.pop()}).status_code == 303
    with app.test_request_context():  # with a time limit, tokens are signed anew as Flask-WTF does
        from web.sessions import csrf_token

        app.config["WTF_CSRF_TIME_LIMIT"] = 3600
        session["csrf_token"] = "s" * 40
        first = csrf_token()
        g.pop("csrf_token")
        time.sleep(1.1)  # itsdangerous' timestamps count seconds
        assert csrf_token() != first


# --- uploading --------------------------------------------------------------------------------


def test_an_upload_over_the_size_limit_gets_the_413_page(world):
    client = make_app(world, MAX_CONTENT_LENGTH=20_000).test_client()
    act_as(client, world, "lawyer")
    resp = client.post("/upload", data={"files": [(io.BytesIO(b"x" * 50_000), "big.docx")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "Файл слишком большой" in text_of(resp)


def test_several_files_upload_at_once_and_each_gets_its_result(client, world, db):
    from tracker.jobs import run_pending

    act_as(client, world, "lawyer")
    resp = client.post("/upload", data={"files": [(KZ_107_DOCX.open("rb"), KZ_107_DOCX.name),
                                                  (SCAN_PDF.open("rb"), SCAN_PDF.name)]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    queued = client.get("/jobs")
    assert '<meta http-equiv="refresh"' in queued.get_data(as_text=True)  # refreshes while parsing
    assert "в очереди" in text_of(queued)
    assert len(run_pending(db)) == 2
    done = client.get("/jobs")
    page = text_of(done)
    assert '<meta http-equiv="refresh"' not in done.get_data(as_text=True)
    assert "готово" in page and "отклонён" in page
    assert "Сканированный PDF без текстового слоя" in page  # the parser's reason, in Russian
    act_id = int(re.search(r'href="/acts/(\d+)"', done.get_data(as_text=True)).group(1))
    assert "Об утверждении Правил оказания государственной услуги" in text_of(client.get(f"/acts/{act_id}"))


def test_a_parser_crash_shows_a_russian_sentence_and_keeps_the_exception_as_a_detail(
        client, world, db, monkeypatch):
    import tracker.importer as importer
    from tracker.jobs import run_pending

    def crash(*_args, **_kwargs):
        raise KeyError("w:numId")

    monkeypatch.setattr(importer, "parse_bytes", crash)  # a bug in a parser, on a real file
    act_as(client, world, "lawyer")
    client.post("/upload", data={"files": [(KZ_107_DOCX.open("rb"), "crash.docx")]},
                content_type="multipart/form-data")
    run_pending(db)
    page = client.get("/jobs").get_data(as_text=True)
    assert "Файл не удалось прочитать: в нём встретилось то, что разборщик не умеет обрабатывать." in page
    assert "Технические подробности" in page and "KeyError: &#39;w:numId&#39;" in page


# --- the act page -----------------------------------------------------------------------------


def test_act_page_shows_the_structure_as_a_tree_with_exact_labels(client, world, db):
    from tracker.acts import get_units

    act_as(client, world, "viewer")
    html = client.get(f"/acts/{world.act_a}").get_data(as_text=True)
    units = get_units(db, world.act_a)
    by_uid = {u["uid"]: u for u in units}
    child = next(u for u in units if u["parent_uid"] and by_uid[u["parent_uid"]]["label"] and u["label"])
    parent = by_uid[child["parent_uid"]]
    # the child's <li> is nested inside the parent's <li>, each with its label as printed
    block = re.search(rf'<li id="u-{parent["uid"]}".*?<ul>(.*?)</ul>', html, flags=re.S).group(1)
    assert f'id="u-{child["uid"]}"' in block
    assert f'<span class="label">{parent["label"]}</span>' in html
    assert f'<span class="label">{child["label"]}</span>' in block
    for u in units:
        assert f'id="u-{u["uid"]}"' in html  # nothing dropped


def test_act_page_highlights_extracted_facts_and_shows_the_burden(client, world, db):
    from nlp.burden import summarise
    from tracker.acts import get_units, load_act, set_facts

    unit = next(u for u in get_units(db, world.act_a) if "рабочих дней" in u["text"])
    phrase = re.search(r"\S+ рабочих дней", unit["text"]).group(0)
    facts = {unit["uid"]: {
        "modality": "obligation", "addressee": "authority", "fee": True, "documents": ["заявление"],
        "deadlines": [{"text": phrase, "amount": 3, "unit": "day", "day_type": "working"}]}}
    set_facts(db, world.act_a, facts, burden=summarise(load_act(db, world.act_a), facts))
    act_as(client, world, "lawyer")
    html = client.get(f"/acts/{world.act_a}").get_data(as_text=True)
    assert f'<mark class="f-deadline">{phrase}</mark>' in html
    assert "обязанность · госорган" in html
    assert "3 дн. рабочих" in html
    assert 'class="chip f-fee"' in html
    burden = html[html.index("Нагрузка акта"):html.index("Структура")]
    assert "Требования" in burden and "к органам: 1" in burden   # one duty of the authority
    assert "Наибольший срок" in burden and phrase in burden        # its time limit, as printed
    assert f"пункт {unit['label']}" in burden


def test_lawyer_confirms_and_rejects_a_proposed_measure_link(client, world, db):
    from tracker.links import links_for_act

    act_as(client, world, "lawyer")
    page = client.get(f"/acts/{world.act_a}").get_data(as_text=True)
    assert "Сокращение сроков принятия решений" in page and "предложено" in page
    url = f"/acts/{world.act_a}/units/{world.uid_a}/links/{world.measure}"
    assert client.post(url, data={"decision": "confirmed"}).status_code == 302
    assert links_for_act(db, world.act_a)[0]["status"] == "confirmed"
    assert client.post(url, data={"decision": "rejected"}).status_code == 302
    assert links_for_act(db, world.act_a)[0]["status"] == "rejected"
    assert client.post(url, data={"decision": "bogus"}).status_code == 400


def test_lawyer_links_a_measure_the_linker_missed_and_a_rerun_keeps_it(client, world, db):
    from tracker.links import links_for_act, store_proposals

    act_as(client, world, "lawyer")
    url = f"/acts/{world.act_a}/units/{world.uid_a}/links"
    resp = client.post(url, data={"measure_id": "M13", "why": "лишняя справка"})
    assert resp.status_code == 302
    added = [lk for lk in links_for_act(db, world.act_a) if lk["uid"] == world.uid_a and lk["measure_id"] == "M13"]
    assert [(lk["status"], lk["why"]) for lk in added] == [("added", "лишняя справка")]
    store_proposals(db, world.act_a, {})  # the linker runs again and proposes nothing for the act
    kept = {lk["measure_id"]: lk["status"] for lk in links_for_act(db, world.act_a) if lk["uid"] == world.uid_a}
    assert kept.get("M13") == "added"
    assert client.post(url, data={"measure_id": "M99"}).status_code == 400  # not a stored measure



def test_act_page_shows_a_link_decision_at_once_with_a_working_form(world):
    """The clause tree is kept between visits; a decision on a link and the CSRF token stay live."""
    client = make_app(world, WTF_CSRF_ENABLED=True).test_client()
    act_as(client, world, "lawyer")
    url = f"/acts/{world.act_a}/units/{world.uid_a}/links/{world.measure}"
    for decision, word in (("confirmed", "подтверждено"), ("rejected", "отклонено")):
        page = client.get(f"/acts/{world.act_a}").get_data(as_text=True)
        form = re.search(rf'action="{re.escape(url)}".*?name="csrf_token" value="([^"]+)"', page, flags=re.S)
        assert form, "the link's form is on the page"
        assert client.post(url, data={"decision": decision, "csrf_token": form.group(1)}).status_code == 302
        item = re.search(rf'<li class="link s-{decision}">(.*?)</li>', client.get(f"/acts/{world.act_a}").get_data(
            as_text=True), flags=re.S)
        assert item and word in item.group(1)

# --- campaigns and review ---------------------------------------------------------------------


def test_a_new_campaign_gets_one_calendar_month_by_default(client, world, db):
    from tracker.campaigns import get_campaign

    act_as(client, world, "lawyer")
    resp = client.post("/campaigns/new", data={"name": "Зимняя", "instruction_date": "31.01.2024",
                                               "country": "KZ", "measure_ids": ["M14"]})
    cid = int(re.search(r"/campaigns/(\d+)/assign", resp.location).group(1))
    campaign = get_campaign(db, cid)
    assert campaign["deadline"] == date(2024, 2, 29)
    assert campaign["measure_ids"] == ["M14"]
    page = text_of(client.get(f"/campaigns/{cid}"))
    assert "29.02.2024" in page and "31.01.2024" in page
    refused = client.post("/campaigns/new", data={"name": "X", "instruction_date": "32.13.2024", "country": "KZ"})
    assert "Это не дата" in text_of(refused)


def test_acts_are_assigned_in_bulk_by_ticks_and_by_numbers(client, world, db):
    from tracker.campaigns import assignments, create_campaign

    cid = create_campaign(db, "Новая", "01.02.2025")
    act_as(client, world, "lawyer")
    resp = client.post(f"/campaigns/{cid}/assign", data={"agency_id": world.agency_b, "act_ids": [world.act_a],
                                                          "act_numbers": f"{world.act_b}"})
    assert resp.status_code == 302
    assert {a["act_id"] for a in assignments(db, cid, agency_id=world.agency_b)} == {world.act_a, world.act_b}
    unknown = client.post(f"/campaigns/{cid}/assign", data={"agency_id": world.agency_a, "act_numbers": "999"},
                          follow_redirects=True)
    assert "999" in text_of(unknown)


def test_a_verdict_post_is_stored_with_its_audit_entry(client, world, db):
    from tracker.audit import history

    act_as(client, world, "agency_a")
    url = f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}"
    resp = client.post(f"{url}/verdict", data={"verdict": "amend", "reason": "Срок избыточен",
                                               "new_wording": "в течение одного рабочего дня"})
    assert resp.status_code == 303
    entries = history(db, act_id=world.act_a, uid=world.uid_a, campaign_id=world.campaign)
    verdict_entry = next(e for e in entries if e["action"] == "verdict")
    assert verdict_entry["user_id"] == world.users["agency_a"]["id"]
    assert verdict_entry["after"]["verdict"] == "amend"
    assert verdict_entry["after"]["new_wording"] == "в течение одного рабочего дня"
    page = text_of(client.get(f"{url}/history"))
    assert "Срок избыточен" in page and "изменить" in page


def test_amend_without_a_reason_is_refused_and_keeps_what_was_typed(client, world, db):
    from tracker.verdicts import get_verdicts

    act_as(client, world, "agency_a")
    resp = client.post(f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict",
                       data={"verdict": "amend", "reason": "", "new_wording": "Новая длинная редакция"})
    assert resp.status_code == 400
    assert "Укажите обоснование" in text_of(resp)
    assert "Новая длинная редакция" in resp.get_data(as_text=True)
    assert get_verdicts(db, world.campaign, world.act_a) == {}


def test_an_act_is_finished_only_when_every_clause_has_a_verdict(client, world, db):
    from tracker.campaigns import act_status, clause_units

    act_as(client, world, "agency_a")
    base = f"/campaigns/{world.campaign}/acts/{world.act_a}"
    early = client.post(f"{base}/finish", follow_redirects=True)
    assert "нельзя завершить" in text_of(early)
    assert act_status(db, world.campaign, world.act_a) == "in_progress" or \
        act_status(db, world.campaign, world.act_a) == "not_started"
    clauses = clause_units(db, world.act_a)
    for u in clauses:
        client.post(f"{base}/units/{u['uid']}/verdict", data={"verdict": "repeal", "reason": "устарела"})
    assert client.post(f"{base}/finish").status_code == 303
    assert act_status(db, world.campaign, world.act_a) == "reviewed"
    outcome = client.get(f"/campaigns/{world.campaign}/outcome").get_data(as_text=True)
    repeal = re.search(r'id="list-repeal">(.*?)</section>', outcome, flags=re.S).group(1)
    assert f"/acts/{world.act_a}" in repeal


def test_the_menu_offers_each_role_only_its_pages_in_its_language(client, world):
    def menu() -> str:
        return re.search(r"<nav>(.*?)</nav>", client.get("/").get_data(as_text=True), flags=re.S).group(1)

    act_as(client, world, "admin")
    assert all(f'href="{p}"' in menu() for p in ("/upload", "/jobs", "/admin/users", "/admin/agencies"))
    act_as(client, world, "lawyer")
    assert 'href="/upload"' in menu() and 'href="/admin/users"' not in menu()
    act_as(client, world, "agency_a")
    assert 'href="/upload"' not in menu() and 'href="/jobs"' not in menu() and "Кампании" in menu()
    client.get("/lang/en")
    assert "Campaigns" in menu() and "Кампании" not in menu()


@pytest.mark.parametrize("mount", ["", "/norma", "/987654321987"])
def test_links_made_in_bulk_are_the_links_url_for_makes(world, mount):
    from flask import url_for

    from web.core import urls_by_id

    app = make_app(world)
    with app.test_request_context("/", base_url=f"http://localhost{mount}/"):
        ids = [1, 42, 1234567]
        assert urls_by_id("review.act", "act_id", ids, cid=7) == {
            i: url_for("review.act", cid=7, act_id=i) for i in ids}
        assert urls_by_id("acts.show", "act_id", {5}) == {5: f"{mount}/acts/5"}
        assert urls_by_id("acts.show", "act_id", []) == {}


def test_template_strings_are_translated_and_their_values_escaped(world):
    app = make_app(world)
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{{ _("Search") }} | {{ _("Found: %(n)d", n=3) }} | '
                                      '{{ _("days left until %(d)s", d="<b>") }}')
    assert html == "Поиск | Найдено: 3 | дн. осталось до &lt;b&gt;"


# --- dashboard and search ---------------------------------------------------------------------


def test_dashboard_shows_days_left_and_progress_bars(world):
    client = make_app(world, TODAY=date(2025, 3, 24)).test_client()
    act_as(client, world, "viewer")
    html = client.get(f"/?campaign={world.campaign}").get_data(as_text=True)
    assert '<svg class="bars"' in html
    assert html.count('<rect class="rest"') == 2  # one bar per agency
    assert "Министерство юстиции" in html and "Министерство финансов" in html
    assert "дн. осталось до 03.04.2025" in text_of(client.get(f"/?campaign={world.campaign}"))


def test_dashboard_highlights_overdue_agencies_and_acts(world):
    client = make_app(world, TODAY=date(2025, 4, 10)).test_client()
    act_as(client, world, "lawyer")
    page = client.get(f"/?campaign={world.campaign}")
    assert "Ведомства с просрочкой" in text_of(page)
    assert '<g class="late">' in page.get_data(as_text=True)
    assert f'/campaigns/{world.campaign}/acts/{world.act_a}"' in page.get_data(as_text=True)


def test_agency_staff_find_their_overdue_acts_marked_in_their_queue_not_in_a_second_list(world):
    client = make_app(world, TODAY=date(2025, 4, 10)).test_client()
    act_as(client, world, "agency_a")
    html = client.get(f"/?campaign={world.campaign}").get_data(as_text=True)
    queue = re.search(r'class="card queue">(.*?)</section>', html, flags=re.S).group(1)
    row = re.search(rf'<tr class="overdue">\s*<td><a href="/campaigns/{world.campaign}/acts/{world.act_a}"', queue)
    assert row, queue
    assert "Просроченные акты" not in text_of(client.get(f"/?campaign={world.campaign}"))
    act_as(client, world, "lawyer")  # who watches every agency still has the list
    assert "Просроченные акты" in text_of(client.get(f"/?campaign={world.campaign}"))


def test_agency_staff_see_their_queue_on_the_dashboard(client, world):
    act_as(client, world, "agency_a")
    html = client.get("/").get_data(as_text=True)
    queue = re.search(r'class="card queue">(.*?)</section>', html, flags=re.S).group(1)
    assert f"/campaigns/{world.campaign}/acts/{world.act_a}" in queue
    assert f"/campaigns/{world.campaign_a_only}/acts/{world.act_a}" in queue
    assert f"/acts/{world.act_b}" not in queue


def test_the_queue_row_of_a_reviewed_clause_and_the_language_change_on_the_next_visit(client, world, db):
    from tracker.campaigns import clause_units

    act_as(client, world, "agency_a")
    total = len(clause_units(db, world.act_a))

    def row() -> str:
        html = client.get(f"/?campaign={world.campaign}").get_data(as_text=True)
        queue = re.search(r'class="card queue">(.*?)</section>', html, flags=re.S).group(1)
        return re.search(rf'<tr[^>]*>\s*<td><a href="/campaigns/{world.campaign}/acts/{world.act_a}".*?</tr>',
                         queue, flags=re.S).group(0)

    assert f"0/{total}" in row() and "не начат" in row()
    client.post(f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict",
                data={"verdict": "keep"})
    assert f"1/{total}" in row() and "в работе" in row()  # kept rows are drawn again when they change
    client.get("/lang/en")
    assert "in progress" in row() and "в работе" not in row()


def test_agency_queue_shows_the_nearest_deadlines_first_and_links_to_all(client, world, monkeypatch):
    from web import dashboard

    monkeypatch.setattr(dashboard, "DASHBOARD_ROWS", 1)
    act_as(client, world, "agency_a")

    def queue_links(path: str) -> list[str]:
        html = client.get(path).get_data(as_text=True)
        queue = re.search(r'class="card queue">(.*?)</section>', html, flags=re.S).group(1)
        return re.findall(r'href="(/[^"]*)"', queue)

    short = queue_links("/")
    assert len([u for u in short if "/acts/" in u]) == 1
    assert "Показать все (2)" in text_of(client.get("/"))
    every = queue_links(next(u for u in short if "all=1" in u).replace("&amp;", "&"))
    assert {f"/campaigns/{world.campaign}/acts/{world.act_a}",
            f"/campaigns/{world.campaign_a_only}/acts/{world.act_a}"} <= set(every)


def test_search_finds_other_word_forms_and_treats_yo_as_ye(client, world, db):
    from tracker.acts import get_units

    act_as(client, world, "lawyer")
    text = " ".join(u["text"] for u in get_units(db, world.act_a))
    assert "заявлени" in text
    found = client.get("/search", query_string={"q": "заявлениями"}).get_data(as_text=True)
    assert f"/acts/{world.act_a}#u-" in found
    plain = client.get("/search", query_string={"q": "еще"}).get_data(as_text=True)
    yo = client.get("/search", query_string={"q": "ещё"}).get_data(as_text=True)
    assert re.findall(r'href="(/acts/[^"]+)"', plain) == re.findall(r'href="(/acts/[^"]+)"', yo)


# --- exports ----------------------------------------------------------------------------------


def test_exports_open_in_excel_and_word_with_the_verdicts(client, world):
    act_as(client, world, "agency_a")
    client.post(f"/campaigns/{world.campaign}/acts/{world.act_a}/units/{world.uid_a}/verdict",
                data={"verdict": "amend", "reason": "Избыточно", "new_wording": "Новая редакция пункта"})
    xlsx = client.get(f"/campaigns/{world.campaign}/verdicts.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Новая редакция пункта" in cells and "Избыточно" in cells
    raw = client.get(f"/campaigns/{world.campaign}/verdicts.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for Cyrillic
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert any("Новая редакция пункта" in r for r in rows)
    docx = client.get(f"/campaigns/{world.campaign}/acts/{world.act_a}/comparison.docx")
    assert docx.headers["Content-Disposition"].startswith("attachment;")
    doc = Document(io.BytesIO(docx.data))
    assert any("Новая редакция пункта" in c.text for t in doc.tables for r in t.rows for c in r.cells)


# --- language ---------------------------------------------------------------------------------


def test_every_string_of_the_interface_has_its_russian_translation():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = ROOT / "web"
    found = {}
    for file, line, msg, _comments, _ctx in extract_from_dir(
            str(web), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        found.setdefault(msg if isinstance(msg, str) else msg[0], f"{file}:{line}")
    assert len(found) > 300  # the extraction really read the views and templates
    with (web / "translations" / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    missing = {m: where for m, where in found.items() if not (catalog.get(m) and catalog.get(m).string)}
    assert missing == {}


def test_interface_is_russian_by_default_and_english_after_the_switch(client, world):
    act_as(client, world, "lawyer")
    ru = text_of(client.get(f"/campaigns/{world.campaign}"))
    assert "Ход работы по ведомствам" in ru and "03.04.2025" in ru  # dates as dd.mm.yyyy
    assert client.get("/lang/en?next=/campaigns").location == "/campaigns"
    en = text_of(client.get(f"/campaigns/{world.campaign}"))
    assert "Progress per agency" in en and "03.04.2025" in en
    client.get("/lang/ru")
    assert "Ход работы по ведомствам" in text_of(client.get(f"/campaigns/{world.campaign}"))


def test_admin_adds_an_agency_and_a_user_who_can_then_log_in(client, world):
    act_as(client, world, "admin")
    client.post("/admin/agencies", data={"name": "Министерство здравоохранения"})
    page = client.get("/admin/users").get_data(as_text=True)
    agency_id = re.search(r'<option value="(\d+)"[^>]*>Министерство здравоохранения', page).group(1)
    resp = client.post("/admin/users", data={"email": "doc@norma.test", "password": "longenough1", "role": "agency",
                                             "agency_id": agency_id, "name": "Врач"})
    assert resp.status_code == 302
    taken = client.post("/admin/users", data={"email": "doc@norma.test", "password": "longenough1",
                                              "role": "viewer"})
    assert "уже существует" in text_of(taken)
    other = make_app(world).test_client()
    assert other.post("/login", data={"email": "doc@norma.test", "password": "longenough1"}).status_code == 302


# --- the serve command ------------------------------------------------------------------------


def test_serve_command_runs_the_app_on_the_given_port(world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with serving("--port", str(port), "--db", str(world.db_path), instance=world.folder) as line:
        assert f"http://127.0.0.1:{port}/" in line
        assert "Войти" in login_page(port, wait=20)


def test_dashboard_shows_a_finished_act_and_a_new_deadline_at_once(client, world, db):
    """The progress figures are cached for a few seconds, but never across this user's own changes."""
    from tracker.campaigns import clause_units
    from tracker.verdicts import set_verdict

    act_as(client, world, "lawyer")
    before = text_of(client.get(f"/?campaign={world.campaign}"))
    assert "0/2 актов рассмотрено" in before
    for u in clause_units(db, world.act_a):
        set_verdict(db, world.campaign, world.act_a, u["uid"], "keep", user=None)
    assert client.post(f"/campaigns/{world.campaign}/acts/{world.act_a}/finish").status_code == 303
    assert "1/2 актов рассмотрено" in text_of(client.get(f"/?campaign={world.campaign}"))
    client.post(f"/campaigns/{world.campaign}/edit", data={"name": "Дебюрократизация 2025",
                                                          "deadline": "30.04.2025"})
    assert "30.04.2025" in text_of(client.get(f"/?campaign={world.campaign}"))


def test_dashboard_shows_an_act_finished_through_another_server_process_at_once(client, world, db):
    """Each server process caches the figures; a change made elsewhere (no invalidation here) still shows."""
    from tracker.campaigns import clause_units, finish_act, update_campaign
    from tracker.verdicts import set_verdict

    act_as(client, world, "lawyer")
    assert "0/2 актов рассмотрено" in text_of(client.get(f"/?campaign={world.campaign}"))
    for u in clause_units(db, world.act_a):
        set_verdict(db, world.campaign, world.act_a, u["uid"], "keep", user=None)
    finish_act(db, world.campaign, world.act_a, user=None)  # as another worker process would
    assert "1/2 актов рассмотрено" in text_of(client.get(f"/?campaign={world.campaign}"))
    update_campaign(db, world.campaign, deadline="30.04.2025")
    assert "30.04.2025" in text_of(client.get(f"/campaigns/{world.campaign}"))
    assert "30.04.2025" in text_of(client.get(f"/?campaign={world.campaign}"))


# --- the request's database connection ---------------------------------------------------------


def test_each_request_sees_what_other_connections_wrote_before_it(client, world, db):
    """Server threads keep their connection between requests: it must never serve an old snapshot."""
    from tracker.users import create_agency

    act_as(client, world, "admin")
    assert "Агентство по туризму" not in text_of(client.get("/admin/agencies"))
    create_agency(db, "Агентство по туризму")  # another connection, as an import job or a second worker
    assert "Агентство по туризму" in text_of(client.get("/admin/agencies"))


def test_a_request_that_fails_half_way_leaves_no_write_behind(world, db):
    from web.core import get_db

    app = make_app(world)

    @app.get("/test-fails-half-way")
    def fails_half_way():
        database = get_db()
        database.execute("BEGIN IMMEDIATE")  # a write begun and never finished
        database.execute("INSERT INTO agencies(name, name_key, created_at) VALUES ('Призрак', 'призрак', 'x')")
        raise RuntimeError("the view broke")

    client = app.test_client()
    act_as(client, world, "admin")
    with pytest.raises(RuntimeError):
        client.get("/test-fails-half-way")
    assert "Призрак" not in text_of(client.get("/admin/agencies"))  # the same thread's next request
    assert db.execute("SELECT COUNT(*) FROM agencies WHERE name = 'Призрак'").fetchone()[0] == 0
    assert client.post("/admin/agencies", data={"name": "Комитет"}).status_code in (302, 303)
    assert db.execute("SELECT COUNT(*) FROM agencies WHERE name = 'Комитет'").fetchone()[0] == 1
