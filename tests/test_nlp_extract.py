"""Facts of a whole act through its tree (nlp/extract.py), the burden summary and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlp.burden import summarise
from nlp.extract import annotate_act
from parsers.model import Act, Unit

FIXTURES = Path(__file__).parent / "fixtures"
AKT = FIXTURES / "kz_minjust_2023_1010_pravila_aktualizaciya_naimenovaniya_yul_rus.md"
SOC = FIXTURES / "kz_government_2023_0630_tipovye_pravila_socpomoschi_mio_rus.md"


def act_of(*rows: tuple[str, str | None, str, str, str]) -> Act:
    """rows: (id, parent, kind, label, text)."""
    return Act(file="t.txt", format="txt", units=[Unit(i, p, k, lab, t) for i, p, k, lab, t in rows])


def test_items_continue_the_duty_or_right_of_their_lead_in():
    act = act_of(
        ("u1", None, "paragraph", "22.", "Должностные лица при осуществлении государственного контроля и надзора "
                                          "обязаны:"),
        ("u2", "u1", "item", "б)", "проводить проверку на основании приказа органа по контролю и надзору;"),
        ("u3", "u1", "item", "г)", "не препятствовать руководителю оператора присутствовать при проведении "
                                   "выездной проверки;"),
        ("u4", None, "paragraph", "62.", "Оператор вправе обжаловать решения и действия (бездействие):"),
        ("u5", "u4", "item", "а)", "должностных лиц территориального органа - руководителю территориального "
                                   "органа;"),
    )
    f = annotate_act(act)
    assert (f["u2"]["modality"], f["u2"]["addressee"]) == ("obligation", "authority")
    assert (f["u3"]["modality"], f["u3"]["addressee"]) == ("prohibition", "authority")
    assert (f["u5"]["modality"], f["u5"]["addressee"]) == ("permission", "applicant")


def test_items_that_are_conditions_or_names_are_statements():
    act = act_of(
        ("u1", None, "paragraph", "7.", "Плановая проверка включается в план по контролю и проводится в следующих "
                                        "случаях:"),
        ("u2", "u1", "item", "а)", "оператор осуществляет обработку персональных данных в информационных системах;"),
        ("u3", None, "paragraph", "4.", "По почте предоставляется следующая информация:"),
        ("u4", "u3", "item", "1)", "место нахождения и графики работы Росстандарта;"),
    )
    f = annotate_act(act)
    assert f["u1"]["modality"] == "obligation"
    assert (f["u2"]["modality"], f["u2"]["addressee"]) == ("other", None)
    assert f["u4"]["modality"] == "other"


def test_fields_listed_after_what_is_shown_or_recorded_are_names_not_duties():
    """A real state-service rule: "Отображается информация по объекту:" and its fields."""
    from parsers import parse_file

    act = parse_file(FIXTURES / "kz_minfin_2020_0407_pravila_uslugi_reestr_gosimuschestva_rus.md")
    facts = annotate_act(act)
    lead = next(u for u in act.units if u.text.startswith("Отображается информация по объекту"))
    fields = [u for u in act.units if u.parent == lead.id]
    assert [u.text for u in fields][:3] == ["идентификационный номер объекта;", "тип объекта приватизации:",
                                             "продавец;"]
    # (one field, "блокировка объекта:", lists its values, "подлежит изъятию" among them: left aside)
    plain = [u for u in fields if not any(k.parent == u.id for k in act.units)]
    assert len(plain) == 4
    assert {(facts[u.id]["modality"], facts[u.id]["addressee"]) for u in plain} == {("other", None)}
    # a duty's items still carry it ("обязан:" then "проводить проверку")
    act2 = act_of(("u1", None, "paragraph", "5.", "Услугодатель обязан:"),
                  ("u2", "u1", "item", "1)", "внесение сведений в информационную систему;"))
    assert annotate_act(act2)["u2"]["modality"] == "obligation"


def test_a_lead_in_naming_only_its_subject_takes_the_duty_of_its_items():
    act = act_of(
        ("u1", None, "paragraph", "60.", "В целях профилактики нарушения требований орган по контролю и надзору:"),
        ("u2", "u1", "item", "а)", "размещает на своем официальном сайте перечень нормативных правовых актов;"),
    )
    f = annotate_act(act)
    assert (f["u1"]["modality"], f["u1"]["addressee"]) == ("obligation", "authority")
    assert (f["u2"]["modality"], f["u2"]["addressee"]) == ("obligation", "authority")


def test_a_clauses_later_paragraphs_belong_to_it():
    act = act_of(
        ("u1", None, "paragraph", "12.", "Жалоба услугополучателя подлежит рассмотрению:"),
        ("u2", "u1", "text", "", "услугодателем – в течение пяти рабочих дней со дня ее регистрации;"),
        ("u3", "u1", "text", "", "Сноска. Пункт 12 в редакции приказа (вводится в действие по истечении десяти "
                                 "календарных дней после дня его первого официального опубликования)."),
    )
    f = annotate_act(act)
    assert [d["amount"] for d in f["u1"]["deadlines"]] == [5]
    assert f["u2"]["part_of"] == "u1" and f["u2"]["deadlines"] == []
    assert f["u3"]["deadlines"] == []  # an amendment note sets no time limit


@pytest.fixture(scope="module")
def akt():
    from parsers import parse_file

    act = parse_file(AKT)
    return act, annotate_act(act)


def by_label(act, facts, label: str, parent_label: str | None = None):
    ids = {u.id: u for u in act.units}
    for u in act.units:
        if u.label == label and (parent_label is None or (ids.get(u.parent) and ids[u.parent].label == parent_label)):
            return facts[u.id]
    raise KeyError(label)


def test_service_standard_rows(akt):
    act, facts = akt
    docs = by_label(act, facts, "table:8")
    assert (docs["modality"], docs["addressee"], len(docs["documents"])) == ("obligation", "applicant", 5)
    term = by_label(act, facts, "table:3")
    assert (term["modality"], term["addressee"]) == ("obligation", "authority")
    assert [(d["amount"], d["unit"], d["day_type"]) for d in term["deadlines"]] == [(1, "day", "working")]
    assert by_label(act, facts, "table:6")["fee"] is False


def test_a_list_of_documents_split_over_sub_items():
    from parsers import parse_file

    act = parse_file(SOC)
    facts = annotate_act(act)
    lead = by_label(act, facts, "12.")
    assert (lead["modality"], lead["addressee"], len(lead["documents"])) == ("obligation", "applicant", 4)
    items = [facts[u.id] for u in act.units if u.parent and next(
        (p for p in act.units if p.id == u.parent and p.label == "12."), None) and u.label.endswith(")")]
    assert [len(i["documents"]) for i in items] == [1, 1, 1]
    assert {i["modality"] for i in items} == {"other"}


def test_burden_summary(akt):
    act, facts = akt
    b = summarise(act, facts)
    assert b["requirements"]["total"] == b["requirements"]["applicant"] + b["requirements"]["authority"] + \
        b["requirements"]["other"]
    assert b["requirements"]["applicant"] >= 2
    assert b["documents_count"] >= 5
    assert b["decision_time"]["longest"]["days"] == pytest.approx(15 * 7 / 5)
    assert b["decision_time"]["total_days"] > b["decision_time"]["longest"]["days"]
    assert b["fee_count"] == 0


def test_burden_converts_units_to_calendar_days():
    act = act_of(("u1", None, "paragraph", "1.", "x"), ("u2", None, "paragraph", "2.", "y"))
    facts = {"u1": {"modality": "obligation", "addressee": "authority", "documents": [], "fee": False,
                    "deadlines": [{"amount": 10, "unit": "day", "day_type": "working"}]},
             "u2": {"modality": "obligation", "addressee": "authority", "documents": [], "fee": False,
                    "deadlines": [{"amount": 2, "unit": "hour", "day_type": None}]}}
    b = summarise(act, facts)
    assert b["decision_time"]["longest"]["label"] == "1."
    assert b["decision_time"]["total_days"] == pytest.approx(14 + 2 / 24, abs=1e-3)


def test_cli_extract_json_carries_the_facts_of_every_unit():
    from tracker.cli import main

    res = CliRunner().invoke(main, ["extract", str(AKT), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["units"]
    for u in data["units"]:
        assert {"modality", "addressee", "deadlines", "documents", "fee", "references"} <= set(u)
    assert any(u["modality"] == "obligation" for u in data["units"])


def test_cli_extract_refuses_bad_input(tmp_path):
    from tracker.cli import main

    bad = tmp_path / "empty.docx"
    bad.write_bytes(b"")
    res = CliRunner().invoke(main, ["extract", str(bad), "--json"])
    assert res.exit_code == 2


def test_odd_units_get_facts_without_errors():
    endless = " ".join(["услугополучатель подает заявление и копию документа, направляет запрос в течение 5 "
                        "рабочих дней"] * 300)
    act = act_of(("u1", None, "paragraph", "1.", endless), ("u2", "u1", "text", "", ""),
                 ("u3", "missing", "item", "1)", "«»()::;;—– ____ 20 года № ___"), ("u4", None, "text", "", "\x00\ufeff"))
    f = annotate_act(act)
    assert set(f) == {"u1", "u2", "u3", "u4"}
    assert len(f["u1"]["deadlines"]) == 300
    assert f["u3"]["deadlines"] == [] and f["u3"]["modality"] == "other"
