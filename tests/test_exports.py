"""Exports that leave Norma: CSV for Excel, XLSX, and the comparison table in Word."""
from __future__ import annotations

import csv
import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.review_setup import World, make_world
from tracker.acts import get_units
from tracker.campaigns import update_campaign
from tracker.exports import (
    COLUMNS,
    COMPARISON_HEADERS,
    comparison_docx,
    verdict_rows,
    verdicts_csv,
    verdicts_xlsx,
)
from tracker.links import decide, store_proposals
from tracker.verdicts import set_verdict

TITLES = [title for _key, title in COLUMNS]


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def unit(w: World, act_id: int, uid: str) -> dict:
    return next(u for u in get_units(w.db, act_id) if u["uid"] == uid)


def give_verdicts(w: World) -> dict[str, str]:
    """Act 1: keep, amend, repeal, duplicative on its first four clauses; act 2: one repeal."""
    c1, c2 = w.clauses(w.a1), w.clauses(w.a2)
    lawyer, agency = w.users["lawyer"], w.users["agency_a"]
    set_verdict(w.db, w.cid, w.a1, c1[0], "keep", user=agency)
    set_verdict(w.db, w.cid, w.a1, c1[1], "amend", user=agency, reason="Срок избыточен",
                new_wording="Срок оказания услуги – 1 рабочий день.")
    set_verdict(w.db, w.cid, w.a1, c1[2], "repeal", user=lawyer, reason="Норма не применяется")
    set_verdict(w.db, w.cid, w.a1, c1[3], "duplicative", user=lawyer, reason="Дублирует пункт 2 Закона")
    set_verdict(w.db, w.cid, w.a2, c2[0], "repeal", user=w.users["agency_b"], reason="Утратила смысл")
    return {"keep": c1[0], "amend": c1[1], "repeal": c1[2], "duplicative": c1[3], "other": c2[0]}


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_starts_with_a_bom_and_keeps_cyrillic_text_exactly(world):
    uids = give_verdicts(world)
    data = verdicts_csv(verdict_rows(world.db, world.cid, agency_id=world.agency_a))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert rows[0] == TITLES
    assert len(rows) == 1 + 4
    by_label = {r[TITLES.index("Текст")]: r for r in rows[1:]}
    amended = by_label[unit(world, world.a1, uids["amend"])["text"]]
    assert amended[TITLES.index("Решение")] == "Изменить"
    assert amended[TITLES.index("Предлагаемая редакция")] == "Срок оказания услуги – 1 рабочий день."
    assert amended[TITLES.index("Ведомство")] == "Министерство юстиции"
    assert amended[TITLES.index("Номер акта")] == "107"
    assert amended[TITLES.index("Проверил")] == "a@example.kz"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", amended[TITLES.index("Дата и время")])


def test_rows_follow_document_order_and_can_include_clauses_without_verdict(world):
    uids = give_verdicts(world)
    rows = verdict_rows(world.db, world.cid, agency_id=world.agency_a)
    assert [r["uid"] for r in rows] == [uids[k] for k in ("keep", "amend", "repeal", "duplicative")]
    everything = verdict_rows(world.db, world.cid, agency_id=world.agency_a, include_empty=True)
    assert len(everything) == len(world.clauses(world.a1))
    assert sum(1 for r in everything if r["verdict"] == "") == len(world.clauses(world.a1)) - 4
    assert {r["agency"] for r in verdict_rows(world.db, world.cid)} == {"Министерство юстиции",
                                                                       "Министерство финансов"}


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(world):
    uid = world.clauses(world.a1)[0]
    formula = '=HYPERLINK("http://evil.example","нажмите")'
    set_verdict(world.db, world.cid, world.a1, uid, "repeal", reason=formula, user=world.users["lawyer"])
    rows = verdict_rows(world.db, world.cid)
    cell = read_csv(verdicts_csv(rows))[1][TITLES.index("Обоснование")]
    assert cell == "'" + formula
    ws = load_workbook(io.BytesIO(verdicts_xlsx(rows))).active
    xcell = ws.cell(row=2, column=TITLES.index("Обоснование") + 1)
    assert (xcell.value, xcell.data_type) == (formula, "s")


def test_xlsx_reads_back_with_the_same_rows(world):
    give_verdicts(world)
    rows = verdict_rows(world.db, world.cid)
    ws = load_workbook(io.BytesIO(verdicts_xlsx(rows))).active
    values = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
    assert values[0] == TITLES
    assert values[1:] == [[r[key] for key, _t in COLUMNS] for r in rows]
    assert ws.freeze_panes == "A2"


def test_measure_ids_come_from_the_links_that_were_not_rejected(world):
    uids = give_verdicts(world)
    store_proposals(world.db, world.a1, {uids["amend"]: [{"id": "M14", "score": 0.8}, {"id": "M2", "score": 0.5}],
                                         uids["repeal"]: [{"id": "M7", "score": 0.6}]})
    decide(world.db, world.a1, uids["amend"], "M2", "rejected", user=world.users["lawyer"])
    by_uid = {r["uid"]: r["measure_ids"] for r in verdict_rows(world.db, world.cid)}
    assert (by_uid[uids["amend"]], by_uid[uids["repeal"]], by_uid[uids["keep"]]) == ("M14", "M7", "")
    update_campaign(world.db, world.cid, measure_ids=["M7"])  # the campaign is about M7 only
    by_uid = {r["uid"]: r["measure_ids"] for r in verdict_rows(world.db, world.cid)}
    assert (by_uid[uids["amend"]], by_uid[uids["repeal"]]) == ("", "M7")


# --- the comparison table -------------------------------------------------------------------


def test_comparison_table_has_the_title_columns_and_one_row_per_change(world):
    uids = give_verdicts(world)
    doc = Document(io.BytesIO(comparison_docx(world.db, world.cid, act_id=world.a1)))
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape
    title = next(p.text for p in doc.paragraphs if p.text.strip())
    assert title.startswith("Сравнительная таблица к проекту изменений в приказ Министра юстиции")
    assert "от 19.06.2020 № 107" in title and "«Об утверждении Правил оказания государственной услуги" in title
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert tuple(c.text for c in table.rows[0].cells) == COMPARISON_HEADERS
    body = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in body] == ["1", "2", "3"]  # keep is not a change

    amend, repeal, duplicative = body
    changed = unit(world, world.a1, uids["amend"])
    assert changed["text"] in amend[2] and amend[2].startswith(changed["label"])
    assert (amend[3], amend[4]) == ("Срок оказания услуги – 1 рабочий день.", "Срок избыточен")
    assert (repeal[3], repeal[4]) == ("Исключить", "Норма не применяется")
    assert (duplicative[3], duplicative[4]) == ("Исключить", "Дублирует пункт 2 Закона")
    number = changed["label"].rstrip(".")
    kind = {"paragraph": "пункт", "subparagraph": "подпункт", "table_row": "строка"}[changed["kind"]]
    assert amend[1].startswith(f"{kind} {number}")


def test_comparison_table_names_subparagraphs_with_their_paragraph_and_chapter(world):
    sub = [u for u in get_units(world.db, world.a1) if u["kind"] == "subparagraph"][-1]  # 2) of 13., Глава 3
    parent = unit(world, world.a1, sub["parent_uid"])
    set_verdict(world.db, world.cid, world.a1, sub["uid"], "repeal", reason="Лишнее основание",
                user=world.users["lawyer"])
    doc = Document(io.BytesIO(comparison_docx(world.db, world.cid, act_id=world.a1)))
    element = doc.tables[0].rows[1].cells[1].text
    assert element.startswith(f"подпункт {sub['label']} пункта {parent['label'].rstrip('.')}")
    assert "Глава 3" in element


def test_one_table_per_act_and_the_agency_filter(world):
    give_verdicts(world)
    both = Document(io.BytesIO(comparison_docx(world.db, world.cid)))
    assert len(both.tables) == 2
    titles = [p.text for p in both.paragraphs if p.text.startswith("Сравнительная таблица")]
    assert len(titles) == 2 and "№ 726" in titles[0] and "№ 107" in titles[1]  # by agency name
    assert titles[1].endswith("«Выдача выписки из реестра регистрации залога движимого имущества»»")
    only_b = Document(io.BytesIO(comparison_docx(world.db, world.cid, agency_id=world.agency_b)))
    assert len(only_b.tables) == 1 and len(only_b.tables[0].rows) == 2


def test_no_changes_gives_a_document_that_says_so(world):
    set_verdict(world.db, world.cid, world.a1, world.clauses(world.a1)[0], "keep", user=world.users["lawyer"])
    doc = Document(io.BytesIO(comparison_docx(world.db, world.cid)))
    assert doc.tables == []
    assert "предложений об изменении" in " ".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize("typed", ["-cmd|' /C calc'!A0", '-HYPERLINK("http://x","y")', " =1+1", "@SUM(A1)"])
def test_dde_and_spaced_formulas_are_quoted_in_csv(typed):
    from tracker.exports import _csv_safe

    assert _csv_safe(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["- пункт 3 исключить", "-пункт", "Обычный текст"])
def test_ordinary_legal_text_is_left_alone_in_csv(typed):
    from tracker.exports import _csv_safe

    assert _csv_safe(typed) == typed
