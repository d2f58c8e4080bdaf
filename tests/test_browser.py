"""The whole path in a real browser, in Russian: a lawyer uploads acts, starts a campaign and
assigns an act; the agency reviews it clause by clause and finishes it; the verdicts export.

Debian's Chromium driven by Playwright (never `playwright install`: no downloads here).
Screenshots go to $NORMA_SCREENSHOTS when set, else to the test's tmp folder.
"""
from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from werkzeug.serving import make_server

from tests.web_support import KZ_107_DOCX, PASSWORD, SCAN_PDF, fresh_world, make_app

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


@pytest.fixture
def server(tmp_path):
    """The app (with its import worker and CSRF on) served by werkzeug in a thread on a free port."""
    world = fresh_world(tmp_path / "world")
    app = make_app(world, START_WORKER=True, WTF_CSRF_ENABLED=True, JOBS_REFRESH_SECONDS=1)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield world, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def page():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        yield pg
        context.close()
        browser.close()


def shot(page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"/$"))


def test_upload_assign_review_and_export_in_russian(server, page, tmp_path):
    expect = playwright_api.expect
    world, base = server
    shots = Path(os.environ.get("NORMA_SCREENSHOTS") or tmp_path / "screens")

    # the lawyer uploads two files: a DOCX act and a scanned PDF the parser refuses
    log_in(page, base, world.email("lawyer"))
    assert page.locator("html").get_attribute("lang") == "ru"
    page.get_by_role("link", name="Загрузить", exact=True).click()
    page.locator("input[name=files]").set_input_files([str(KZ_107_DOCX), str(SCAN_PDF)])
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/jobs"))
    expect(page.locator(".status.s-failed")).to_contain_text("отклонён")
    expect(page.locator(".status.s-done")).to_contain_text("готово")
    expect(page.locator(".reason")).to_contain_text("Сканированный PDF без текстового слоя")
    shot(page, shots, "1-jobs")

    # the act page: the structure as a tree with the labels as printed
    page.locator("tr.s-done a[href^='/acts/']").click()
    expect(page.locator("h1")).to_contain_text("Об утверждении Правил оказания государственной услуги")
    act_id = int(re.search(r"/acts/(\d+)", page.url).group(1))
    expect(page.locator("ul.tree > li")).not_to_have_count(0)
    expect(page.locator("ul.tree ul .label").first).to_be_visible()
    shot(page, shots, "2-act")

    # a campaign; the deadline is filled in as one calendar month later
    page.goto(f"{base}/campaigns/new")
    page.get_by_label("Название").fill("Проверка приказов 2025")
    page.get_by_label("Дата поручения").fill("03.03.2025")
    page.locator("input[name=measure_ids][value=M14]").check()
    page.get_by_role("button", name="Создать").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/assign"))
    cid = int(re.search(r"/campaigns/(\d+)/", page.url).group(1))
    page.locator("select[name=agency_id]").select_option(label="Министерство юстиции")
    page.locator(f"#act-{act_id}").check()
    page.get_by_role("button", name="Назначить выбранные акты").click()
    page.wait_for_url(re.compile(rf"/campaigns/{cid}$"))
    expect(page.locator("body")).to_contain_text("03.04.2025")
    expect(page.locator("table.grid")).to_contain_text("Министерство юстиции")
    page.get_by_role("button", name="Выйти").click()

    # the agency finds the act in its queue and reviews it
    log_in(page, base, world.email("agency_a"))
    queue = page.locator(".card.queue")
    expect(queue).to_contain_text("Моя очередь")
    queue.locator(f"a[href='/campaigns/{cid}/acts/{act_id}']").click()
    clauses = page.locator(".clause")
    first = clauses.first
    first.get_by_role("radio", name="изменить").check()
    first.locator("textarea[name=reason]").fill("Срок можно сократить")
    first.locator("textarea[name=new_wording]").fill("Выписка выдаётся в течение одного рабочего дня.")
    first.get_by_role("button", name="Сохранить решение").click()
    expect(page.locator(".clause").first.locator(".verdict-badge")).to_have_text("изменить")

    second = page.locator(".clause").nth(1)
    second.get_by_role("radio", name="исключить").check()  # a reason is required: refused, the typed text stays
    second.get_by_role("button", name="Сохранить решение").click()
    expect(page.locator(".clause .flash.error")).to_contain_text("Укажите обоснование")
    shot(page, shots, "3-review-refused")

    # the remaining clauses: "keep", posted by the same browser session with its CSRF token
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    uids = [u.removeprefix("u-") for u in page.locator(".clause").evaluate_all("els => els.map(e => e.id)")]
    for uid in uids[1:]:
        resp = page.request.post(f"{base}/campaigns/{cid}/acts/{act_id}/units/{uid}/verdict",
                                 form={"verdict": "keep", "csrf_token": token}, max_redirects=0)
        assert resp.status == 303
    page.goto(f"{base}/campaigns/{cid}/acts/{act_id}")
    page.get_by_role("button", name="Завершить рассмотрение акта").click()
    expect(page.locator(".flash.ok")).to_contain_text("Акт отмечен как рассмотренный")
    expect(page.locator("header .status")).to_have_text("рассмотрено")
    shot(page, shots, "4-reviewed")

    # exports: the verdicts as XLSX and the comparison table as DOCX
    page.goto(f"{base}/campaigns/{cid}")
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Выписка выдаётся в течение одного рабочего дня." in values
    with page.expect_download() as info:
        page.locator(f"a[href='/campaigns/{cid}/acts/{act_id}/comparison.docx']").click()
    doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("Выписка выдаётся в течение одного рабочего дня." in c for c in cells)
    page.goto(f"{base}/")
    shot(page, shots, "5-dashboard")
