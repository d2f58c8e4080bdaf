"""Proposed measures as data: from the project's JSON, a spreadsheet's CSV, or a real plan's table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers import ParseError
from tracker.db import open_db
from tracker.measures import Measure, list_measures, load_measures, save_measures

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = ROOT / "data" / "measures.json"
ALMATY_PLAN = FIXTURES / "kz_almaty_oblast_1997_plan_meropriyatiy_maloe_predprinimatelstvo_rus.md"
MINENERGO_PLAN = FIXTURES / "by_minenergo_2022-2024_meropriyatiya_protiv_korrupcii_PLAN.docx"


def test_sample_json_gives_every_measure_with_its_texts_and_source():
    raw = json.loads(SAMPLE.read_text(encoding="utf-8"))
    ms = load_measures(SAMPLE)
    assert [m.id for m in ms] == [r["id"] for r in raw]
    m14 = next(m for m in ms if m.id == "M14")
    assert m14.ru == "Сокращение сроков принятия решений"
    assert m14.en == "Reduce decision-making times"
    assert m14.source == "Debureaucratization (KG)"
    assert m14.to_dict() == {k: v for k, v in next(r for r in raw if r["id"] == "M14").items()}


def test_csv_from_a_spreadsheet_with_russian_headers_and_semicolons(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes("№;Мероприятие;Срок исполнения;Ответственные\n"
                     "1.;Сократить сроки выдачи справок;до 1 июля 2024 г.;Минюст\n"
                     ";;;\n"
                     "2.;Перевести подачу заявлений в электронную форму;IV квартал;Минцифры, акиматы\n"
                     .encode("utf-8-sig"))
    ms = load_measures(path, source="План 2024")
    assert [(m.id, m.ru, m.deadline, m.responsible) for m in ms] == [
        ("1", "Сократить сроки выдачи справок", "до 1 июля 2024 г.", "Минюст"),
        ("2", "Перевести подачу заявлений в электронную форму", "IV квартал", "Минцифры, акиматы")]
    assert {m.source for m in ms} == {"План 2024"}


def test_csv_in_windows_1251_is_read(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes("id,ru\nA,Упростить процедуры\n".encode("cp1251"))
    assert [(m.id, m.ru) for m in load_measures(path)] == [("A", "Упростить процедуры")]


def test_markdown_plan_table_gives_rows_with_deadline_and_responsible():
    ms = load_measures(ALMATY_PLAN)
    assert [m.id for m in ms] == [str(i) for i in range(1, 11)]
    first = ms[0]
    assert first.ru.startswith("Провести инвентаризацию неиспользуемых производственных объектов")
    assert first.deadline == "До 1 апреля 1997 г."
    assert first.responsible == "Курмашев К.К., акимы районов и городов"
    assert all(m.ru and not m.ru.isdigit() for m in ms)       # the "1 2 3 4" column row is skipped


def test_docx_plan_numbers_come_from_word_auto_numbering_and_sections_are_kept():
    ms = load_measures(MINENERGO_PLAN)
    assert [m.id for m in ms[:3]] == ["1", "2", "3"]
    assert len({m.id for m in ms}) == len(ms) > 40
    assert ms[0].section == "Мероприятия общего системного характера"
    assert ms[0].deadline.startswith("один раз в полугодие")
    assert "Минэнерго" in ms[0].responsible
    assert not any(m.ru == m.section for m in ms)               # heading rows are not measures


@pytest.mark.parametrize("name, data, reason", [
    ("m.json", b"{not json", "not valid JSON"),
    ("m.json", b'{"id": "M1"}', "must be a list"),
    ("m.json", b'[{"id": "M1", "ru": "a"}, {"id": "M1", "ru": "b"}]', "occurs twice"),
    ("m.json", b'[{"id": "M1"}]', "no measures found"),
    ("m.json", b"[1, 2]", "not an object"),
    ("m.csv", b"a,b\n1,2\n", "no measures found"),
    ("m.csv", b"", "empty file"),
    ("m.csv", b"id,ru\x00\n", "not a text file"),
])
def test_bad_measure_files_are_refused_with_a_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ParseError, match=reason):
        load_measures(path)


def test_an_act_without_a_plan_table_is_refused(tmp_path):
    path = tmp_path / "act.md"
    path.write_text("# Приказ\n\n1. Утвердить правила.\n\n2. Настоящий приказ вводится в действие.\n",
                    encoding="utf-8")
    with pytest.raises(ParseError, match="no table of measures"):
        load_measures(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ParseError, match="cannot read"):
        load_measures(tmp_path / "nope.json")


def test_saved_measures_are_listed_and_a_reimport_updates_them(tmp_path):
    db = open_db(tmp_path / "norma.db")
    save_measures(db, load_measures(SAMPLE))
    save_measures(db, [Measure(id="M14", ru="Сократить сроки", source="новый план")])
    stored = {m.id: m for m in list_measures(db)}
    assert len(stored) == 16
    assert stored["M14"].ru == "Сократить сроки" and stored["M14"].source == "новый план"
    assert [m.id for m in list_measures(db, ["M15", "M01"])] == ["M01", "M15"]
