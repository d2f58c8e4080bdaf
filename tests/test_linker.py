"""The linker: which measures a clause bears on, with a score and a reason a lawyer can check."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import nlp.linker as linker_mod
from nlp.linker import Linker, RuleSet, link_units, load_rules, with_continuations
from nlp.morph import words
from parsers import parse_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
MEASURES = json.loads((ROOT / "data" / "measures.json").read_text(encoding="utf-8"))
KZ_107 = FIXTURES / "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md"
RU_146 = FIXTURES / "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt"

DEADLINE = {"text": "в течение 15 рабочих дней", "amount": 15, "unit": "day", "day_type": "working"}


def ids(links: list[dict]) -> list[str]:
    return [x["id"] for x in links]


def one(unit: dict, measures: list[dict] = MEASURES) -> list[dict]:
    return link_units([unit], measures)[0]


def test_authority_time_limit_links_to_reducing_decision_times_and_quotes_it():
    links = one({"text": "Услугодатель рассматривает заявление и принимает решение в течение 15 рабочих дней.",
                 "modality": "obligation", "addressee": "authority", "deadlines": [DEADLINE]})
    assert ids(links)[0] == "M14"
    assert "в течение 15 рабочих дней" in links[0]["why"]


def test_entry_into_force_period_is_not_a_decision_time():
    links = one({"text": "Настоящий приказ вводится в действие по истечении десяти календарных дней.",
                 "modality": "other", "addressee": None,
                 "deadlines": [{"text": "по истечении десяти календарных дней", "amount": 10, "unit": "day",
                                "day_type": "calendar"}]})
    assert links == []


def test_applicant_document_list_links_to_simplifying_procedures():
    links = one({"text": "Для получения услуги заявитель представляет заявление и копию паспорта.",
                 "modality": "obligation", "addressee": "applicant",
                 "documents": ["заявление", "копия паспорта"]})
    assert ids(links) == ["M13"]
    assert "заявление" in links[0]["why"]


def test_electronic_submission_links_to_digitalisation_and_names_the_words():
    links = one({"text": "Заявление подается через веб-портал «электронного правительства» с ЭЦП."})
    assert "M15" in ids(links)
    why = next(x["why"] for x in links if x["id"] == "M15")
    assert "веб-портал" in why or "эцп" in why


def test_request_to_another_body_links_to_inter_agency_coordination():
    links = one({"text": "Уполномоченный орган направляет запрос в территориальные органы юстиции.",
                 "modality": "obligation", "addressee": "authority"})
    assert ids(links)[0] == "M10"


def test_request_by_the_applicant_is_not_inter_agency():
    links = one({"text": "Заявитель направляет запрос в уполномоченный орган.",
                 "modality": "obligation", "addressee": "applicant"})
    assert "M10" not in ids(links)


def test_local_body_decision_links_to_local_autonomy():
    links = one({"text": "Перечень категорий получателей устанавливается местными исполнительными органами.",
                 "modality": "obligation", "addressee": "authority"})
    assert {"M06", "M09"} <= set(ids(links))


def test_clause_without_any_signal_gets_no_proposal():
    assert one({"text": "Контроль за исполнением настоящего приказа возложить на вице-министра.",
                "modality": "obligation", "addressee": "authority"}) == []


def test_paraphrase_of_a_measure_is_proposed_by_similarity_alone():
    links = one({"text": "Регионам, перевыполнившим план по налоговым поступлениям, выплачивается поощрение."})
    assert "M03" in ids(links)
    assert "налоговым" in next(x["why"] for x in links if x["id"] == "M03")


def test_rules_find_measures_by_their_text_not_their_ids():
    rnd = random.Random(3)
    renamed = [{**m, "id": f"X{k}"} for k, m in enumerate(MEASURES)]
    rnd.shuffle(renamed)
    unit = {"text": "Срок рассмотрения жалобы не превышает пяти рабочих дней.", "modality": "obligation",
            "addressee": "authority", "deadlines": [DEADLINE]}
    by_text = {m["id"]: m["ru"] for m in renamed}
    assert [by_text[i] for i in ids(one(unit, renamed))] == [m["ru"] for m in MEASURES if m["id"] in
                                                             ids(one(unit))]


def test_a_plan_without_matching_measures_gets_no_rule_links():
    plan = [{"id": "1", "ru": "Проведение мониторинга соблюдения арендаторами условий договоров аренды"},
            {"id": "2", "ru": "Рассмотрение на заседаниях комиссии отчетов о выполнении мероприятий"}]
    unit = {"text": "Услугодатель выдает результат в течение 15 рабочих дней.", "modality": "obligation",
            "addressee": "authority", "deadlines": [DEADLINE]}
    assert one(unit, plan) == []


def test_links_are_best_first_above_the_threshold_and_at_most_max_links():
    rules = load_rules()
    unit = {"text": "Участковая комиссия в течение 2 рабочих дней направляет запрос в Государственную "
                    "корпорацию через шлюз «электронного правительства», документы представляются "
                    "заявителем через портал, финансирование за счет средств местного бюджета.",
            "modality": "obligation", "addressee": "authority", "deadlines": [DEADLINE]}
    links = one(unit)
    scores = [x["score"] for x in links]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= rules.threshold for s in scores)
    assert 0 < len(links) <= rules.max_links


def test_list_items_take_the_electronic_context_of_their_lead_in():
    units = [{"id": "a", "text": "При подаче запроса через Единый портал заявителю обеспечивается:",
              "kind": "paragraph"},
             {"id": "b", "parent": "a", "text": "возможность сохранения ранее введенных значений;",
              "kind": "subparagraph"},
             {"id": "c", "text": "возможность сохранения ранее введенных значений;", "kind": "subparagraph"}]
    links = link_units(units, MEASURES)
    assert "M15" in ids(links[1])
    assert "вводной части" in links[1][0]["why"]
    assert links[2] == []          # the same words without that lead-in


def test_continuation_paragraphs_belong_to_their_numbered_clause():
    units = [{"id": "p", "kind": "paragraph", "label": "27.",
              "text": "Оператор представляет документы и информацию в орган по контролю."},
             {"id": "t", "parent": "p", "kind": "text", "label": "",
              "text": "Документы могут быть представлены в форме электронных документов."}]
    merged = with_continuations(units)
    assert "электронных документов" in merged[0]["text"]
    assert merged[1]["text"] == units[1]["text"]
    assert "M15" in ids(link_units(units, MEASURES)[0])


def test_signature_after_the_last_paragraph_is_not_part_of_it():
    units = [{"id": "p", "kind": "paragraph", "label": "4.", "text": "Настоящий приказ вводится в действие."},
             {"id": "s", "parent": "p", "kind": "text", "label": "", "text": "Министр цифрового развития"}]
    assert with_continuations(units)[0]["text"] == units[0]["text"]


def test_batch_chunks_and_cache_do_not_change_the_result(monkeypatch):
    act = parse_file(RU_146)
    units = [u.to_dict() for u in act.units]
    whole = link_units(units, MEASURES)
    one_by_one = [link_units([{**u, "parent": None}], MEASURES)[0] for u in units]
    monkeypatch.setattr(linker_mod, "CHUNK", 7)
    chunked = Linker(MEASURES, load_rules()).link(with_continuations(units))
    assert chunked == whole
    # without a parent (so no lead-in context or continuation) a unit links as it does alone
    assert Linker(MEASURES, load_rules()).link([{**u, "parent": None} for u in units]) == one_by_one


def test_tokenizer_reads_the_same_words_as_morph():
    lex = load_rules().lexicon
    texts = [u.text for u in parse_file(KZ_107).units if u.text]
    rows, forms = lex.tokenize(texts)
    got: list[list[str]] = [[] for _ in texts]
    for r, f in zip(rows.tolist(), forms.tolist(), strict=True):
        got[r].append(lex.forms[f])
    differ = [t for t, g in zip(texts, got, strict=True) if g != words(t)]
    assert len(differ) <= len(texts) // 50          # only "1-2"-like number ranges may differ
    assert lex.tokenize(["ЁЛКА веб-портал -х- Ӊ"])[1].size == 3


def test_real_act_table_rows_link_to_time_limit_and_electronic_form():
    from nlp.extract import annotate_act

    act = parse_file(KZ_107)
    facts = annotate_act(act)
    units = [{**u.to_dict(), **facts.get(u.id, {})} for u in act.units]
    links = dict(zip([u["label"] for u in units], link_units(units, MEASURES), strict=False))
    assert "M14" in ids(links["table:3"])          # "Срок оказания государственной услуги ... 20 минут"
    assert "M15" in ids(links["table:2"])          # "Способы предоставления ... веб-портал"
    assert links["table:1"] == []                  # the service provider's name


def test_every_rule_theme_finds_a_measure_in_the_sample_list():
    linker = Linker(MEASURES, load_rules())
    for rule, target in zip(linker.rules.rules, linker.target, strict=False):
        assert target.max() > 0, rule.id


def test_rules_naming_an_unknown_theme_are_refused():
    with pytest.raises(ValueError, match="unknown themes"):
        RuleSet({"themes": {}, "rules": [{"id": "x", "theme": "nowhere", "weight": 0.5, "when": {}}]},
                use_vectors=False)
